"""Scale-out on this machine: one agent worker vs two in one consumer group, same run, same data.

Seeded simulator text calls (redacted transcripts, the fast intent tier, the LLM off), as in
bench/agent_throughput.py, whose stage process (`run_stage` over the production handler's
batch path, as `kcall worker agent` runs it) and message order this bench reuses. Each phase
gets a fresh embedded tansu broker (fresh topics, `KCALL_KAFKA_PARTITIONS` partitions, a
fresh `kcall.agent` group) and a fresh SQLite file; the workers are separate processes in
the one group and split the transcripts partitions between them.

The workers join first, on the empty topic, so a second worker's model load and the
group's rebalance are not timed; then every call is produced at full speed (the backlog a
worker falls behind on) and utterances/s = utterances / (first message produced → last
summary out). CPU per process (workers, the broker, this process: producer and collector)
comes from /proc/<pid>/stat over that window, and the whole machine's from /proc/stat
(other jobs on the machine count there too: that is what the workers compete with).
Last line: `RESULT {json}`; value = two workers' utt/s, baseline = one worker's.
Run: .venv/bin/python bench/scale_out.py [--calls 500] [--workers 2]
The ASR stage is not measured here (see the README's scale-out paragraph).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from typing import Any

from _cpu import Meter
from _workers import agent_bench_settings, fresh_database, worker_group
from agent_throughput import _messages, _stage

from services.broker import Publisher
from services.broker.embedded import EmbeddedBroker
from services.broker.topics import ensure_topics
from services.cli.stack import with_database
from services.config import Settings
from services.schemas import Topic, Utterance
from simulator import ScriptedCall, generate_calls, generate_world
from simulator.collector import OutputCollector

_KEPT = ("wall_s", "cpu_pct", "machine_busy_pct", "worker_cpu_ms_per_utt")


def _phase(settings: Settings, calls: list[ScriptedCall], *, workers: int,
           concurrent: int) -> dict[str, Any]:
    label = f"{workers} worker" + ("s" if workers > 1 else "")
    url = fresh_database(settings, f"kcall-scale-{workers}w")
    settings = with_database(settings, url)
    messages = _messages(calls, concurrent)
    utterances = sum(isinstance(m, Utterance) for m in messages)
    ids = {c.call_id for c in calls}
    with EmbeddedBroker() as broker, \
            OutputCollector(broker.bootstrap, settings.kafka) as collector, \
            Publisher(broker.bootstrap, settings.kafka, client_id="bench") as publisher:
        ensure_topics(settings.kafka, broker.bootstrap)
        with worker_group(_stage, (url, broker.bootstrap, False), workers=workers,
                          what="an agent worker", join_timeout_s=240, settle_s=2.0) as pids:
            pids.update({"broker": broker.pid or 0, "bench (producer, collector)": os.getpid()})
            meter = Meter(pids)
            meter.start()
            started = time.monotonic()
            for message in messages:
                publisher.send(Topic.TRANSCRIPTS, message)
            publisher.flush()
            produced = time.monotonic() - started
            missing = collector.wait_for_summaries(ids, timeout_s=900)
            ends = [collector.observation(c).summary for c in ids]
            finished = max(s[1] for s in ends if s is not None)
            cpu = meter.stop()
    wall = finished - started
    worker_cpu_s = sum(v for k, v in cpu["cpu_pct"].items() if k.startswith("worker")) / 100
    # CPU per utterance apart from contention: did a second worker add overhead per message?
    cpu_ms = 1000 * worker_cpu_s * cpu["window_s"] / utterances
    result = {"label": label, "workers": workers, "utterances": utterances,
              "calls": len(calls), "wall_s": round(wall, 2), "produce_s": round(produced, 2),
              "utt_per_s": round(utterances / wall, 1), "missing_summaries": len(missing),
              "worker_cpu_ms_per_utt": round(cpu_ms, 2), **cpu}
    shares = ", ".join(f"{name} {pct}%" for name, pct in cpu["cpu_pct"].items())
    print(f"{label}: {utterances} utterances of {len(calls)} calls in {wall:.1f} s = "
          f"{utterances / wall:.1f} utt/s ({len(missing)} summaries missing); CPU: {shares}; "
          f"machine {cpu['machine_busy_pct']}% busy; workers' CPU {cpu_ms:.1f} ms/utterance",
          flush=True)
    return result


def _saturation(run: dict[str, Any], cpus: int) -> str:
    """One line on what ran out: the cores, or something else while cores were idle."""
    shares: dict[str, float] = run["cpu_pct"]
    workers = [v for k, v in shares.items() if k.startswith("worker")]
    ours = sum(shares.values())
    text = (f"{cpus} cores, machine {run['machine_busy_pct']}% busy; workers at "
            + " / ".join(f"{v:.0f}%" for v in workers)
            + f" of one core, broker {shares.get('broker', 0):.0f}%, "
            f"bench {shares.get('bench (producer, collector)', 0):.0f}%; "
            f"this bench's processes {ours:.0f}% of {100 * cpus}%")
    if workers and min(workers) >= 80:
        return text + ": each worker is CPU-bound on its own core (one graph thread each)"
    if run["machine_busy_pct"] >= 90:
        return text + (": the cores saturate and the workers get only part of a core each "
                       "(other processes and other jobs on the machine take the rest)")
    return text + ": cores left idle, so the workers wait (broker round trips, SQLite commits)"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=500, help="calls preloaded per phase")
    parser.add_argument("--concurrent", type=int, default=40, help="calls open at once")
    parser.add_argument("--workers", type=int, default=2, help="workers in the scaled phase")
    parser.add_argument("--fetch-max-wait-ms", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = agent_bench_settings(fetch_max_wait_ms=args.fetch_max_wait_ms)
    if settings.kafka.partitions < args.workers:
        raise SystemExit(f"{settings.kafka.partitions} partitions cannot feed "
                         f"{args.workers} workers (KCALL_KAFKA_PARTITIONS)")
    world = generate_world(seed=settings.simulator.seed, customers=settings.simulator.customers)
    calls = generate_calls(world, seed=settings.simulator.seed, n=args.calls,
                           auto_credit_limit_krw=settings.agent.auto_credit_limit_krw)
    one = _phase(settings, calls, workers=1, concurrent=args.concurrent)
    many = _phase(settings, calls, workers=args.workers, concurrent=args.concurrent)
    cpus = os.cpu_count() or 1
    value, base = many["utt_per_s"], one["utt_per_s"]
    print("\n| run | utterances | wall s | utt/s | CPU per process (% of a core) | machine busy "
          "| worker CPU ms/utt |")
    print("|---|---|---|---|---|---|---|")
    for run in (one, many):
        shares = ", ".join(f"{k} {v:.0f}" for k, v in run["cpu_pct"].items())
        print(f"| {run['label']} | {run['utterances']} | {run['wall_s']} | {run['utt_per_s']} | "
              f"{shares} | {run['machine_busy_pct']}% | {run['worker_cpu_ms_per_utt']} |")
    ratio = round(value / base, 2) if base else None
    print(f"\nratio {args.workers} workers / 1 worker: {ratio}")
    for run in (one, many):
        print(f"{run['label']}: {_saturation(run, cpus)}")
    print("RESULT " + json.dumps({
        "bench": "scale_out", "value": value, "unit": "utt/s", "baseline": base,
        "ratio": ratio, "workers": args.workers, "partitions": settings.kafka.partitions,
        "calls": args.calls, "utterances": many["utterances"], "cpus": cpus,
        "one_worker": {k: one[k] for k in _KEPT}, "two_workers": {k: many[k] for k in _KEPT},
        "missing_summaries": one["missing_summaries"] + many["missing_summaries"],
        "asr": "not measured"}, ensure_ascii=False))


if __name__ == "__main__":
    main()
