"""CPU use of named processes and of the whole machine over a timed window (from /proc)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Meter"]

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14, 15)


def _machine() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return float(sum(values) - idle), float(sum(values))


@dataclass
class Meter:
    """CPU of named processes and of the machine between `start` and `stop`."""

    pids: dict[str, int]

    def start(self) -> None:
        """Take the starting readings."""
        self._began = {name: _cpu_s(pid) for name, pid in self.pids.items()}
        self._machine = _machine()
        self._at = time.monotonic()

    def stop(self) -> dict[str, Any]:
        """Per-process % of a core, machine busy % and the window's length since `start`."""
        wall = time.monotonic() - self._at
        busy, total = _machine()
        share = {name: round(100 * (_cpu_s(pid) - self._began[name]) / wall, 1)
                 for name, pid in self.pids.items()}
        machine = 100 * (busy - self._machine[0]) / max(total - self._machine[1], 1.0)
        return {"cpu_pct": share, "machine_busy_pct": round(machine, 1), "window_s": wall}
