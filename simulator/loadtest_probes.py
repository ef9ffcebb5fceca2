"""Samples a running stack once a second: CPU and memory per process, consumer lag per group.

CPU and resident memory come from /proc/<pid>/stat and /proc/<pid>/status (Linux), so no
agent runs inside the workers; lag comes from the broker (committed offsets against end
offsets), the same number every Kafka dashboard shows.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "KafkaOffsets",
    "Sample",
    "Sampler",
    "child_processes",
    "machine_ticks",
    "process_ticks_rss",
]

log = logging.getLogger(__name__)

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Sample:
    """One second of the run: CPU %, RSS MiB per process, lag per consumer group."""

    t_s: float
    cpu_pct: dict[str, float] = field(default_factory=dict)
    rss_mib: dict[str, float] = field(default_factory=dict)
    lag: dict[str, int] = field(default_factory=dict)


def process_ticks_rss(pid: int) -> tuple[int, int] | None:
    """(user + system CPU ticks, resident bytes) of a process; None once it is gone."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
        status = (_PROC / str(pid) / "status").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: fields start after the last ')'.
    fields = stat.rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    rss_kib = next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0
    )
    return ticks, rss_kib * 1024


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine, all cores, from /proc/stat."""
    try:
        first = (_PROC / "stat").read_text().splitlines()[0].split()
    except OSError:
        return 0, 0
    ticks = [int(x) for x in first[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


def _name(cmdline: list[str]) -> str:
    if cmdline and Path(cmdline[0]).name.startswith("tansu"):
        return "broker"
    if "services.cli" in cmdline:
        rest = cmdline[cmdline.index("services.cli") + 1 :]
        return "-".join(rest[:2]) if rest[:1] == ["worker"] else (rest[0] if rest else "kcall")
    return Path(cmdline[0]).name if cmdline else "?"


def child_processes(parent: int | None = None) -> dict[str, int]:
    """The direct children of `parent` (default: this process) by a readable name."""
    parent = os.getpid() if parent is None else parent
    found: dict[str, int] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) != parent:
            continue
        name = _name([part.decode(errors="replace") for part in raw.split(b"\0") if part])
        found[name if name not in found else f"{name}-{entry.name}"] = int(entry.name)
    return found


class KafkaOffsets:
    """Consumer lag per group and DLQ sizes, read from the broker (admin + a groupless consumer)."""

    def __init__(self, admin: Any, consumer: Any, *, group_prefix: str) -> None:
        self._admin = admin
        self._consumer = consumer
        self._prefix = f"{group_prefix}."

    def lag(self) -> dict[str, int]:
        """Records behind per stage group (summed over the partitions it has committed)."""
        groups = [
            g["group_id"]
            for g in self._admin.list_groups()
            if g["group_id"].startswith(self._prefix) and "loadtest-" not in g["group_id"]
        ]  # the load generator's own readers
        lag: dict[str, int] = {}
        for group in sorted(groups):
            committed = {
                tp: meta.offset
                for tp, meta in self._admin.list_group_offsets({group: None})[group].items()
                if meta.offset >= 0  # -1: nothing committed there yet
            }
            if not committed:
                continue
            ends = self._consumer.end_offsets(list(committed))
            lag[group.removeprefix(self._prefix)] = sum(
                max(0, ends.get(tp, offset) - offset) for tp, offset in committed.items()
            )
        return lag

    def sizes(self, topics: list[str]) -> dict[str, int]:
        """Records ever written to each topic (sum of end offsets; a DLQ is never compacted)."""
        from kafka import TopicPartition

        sizes: dict[str, int] = {}
        for topic in topics:
            parts = self._consumer.partitions_for_topic(topic) or set()
            ends = self._consumer.end_offsets([TopicPartition(topic, p) for p in parts])
            sizes[topic] = sum(ends.values())
        return sizes


class Sampler:
    """A daemon thread that records a `Sample` every `interval_s` until stopped."""

    def __init__(
        self,
        processes: Mapping[str, int],
        *,
        lag: Callable[[], dict[str, int]] | None,
        started: float,
        interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._processes = dict(processes)
        self._lag = lag
        self._started = started
        self._interval_s = interval_s
        self._clock = clock
        self._stop = threading.Event()
        self.samples: list[Sample] = []
        self._lag_failed = False
        self._thread = threading.Thread(target=self._run, name="loadtest-sampler", daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        last: dict[str, tuple[int, float]] = {}
        machine = machine_ticks()
        cores = os.cpu_count() or 1
        while not self._stop.is_set():
            now = self._clock()
            cpu: dict[str, float] = {}
            rss: dict[str, float] = {}
            # Everything on the machine (other tenants included), in the same unit: 100 = a core.
            busy, total = machine_ticks()
            if total > machine[1]:
                cpu["machine"] = 100 * cores * (busy - machine[0]) / (total - machine[1])
            machine = (busy, total)
            for name, pid in self._processes.items():
                read = process_ticks_rss(pid)
                if read is None:
                    continue
                ticks, rss_bytes = read
                rss[name] = rss_bytes / 2**20
                if name in last and now > last[name][1]:
                    busy_s = (ticks - last[name][0]) / _TICKS
                    cpu[name] = 100 * busy_s / (now - last[name][1])
                last[name] = (ticks, now)
            lag: dict[str, int] = {}
            if self._lag is not None:
                try:
                    lag = self._lag()
                except Exception as exc:  # noqa: BLE001 - a missed sample is not a failed run
                    if not self._lag_failed:
                        log.warning("lag sampling failed (reported once): %s", exc)
                    self._lag_failed = True
            self.samples.append(Sample(round(now - self._started, 3), cpu, rss, lag))
            self._stop.wait(max(0.0, self._interval_s - (self._clock() - now)))
