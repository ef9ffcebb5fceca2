"""Scale-out of the ASR stage on this machine: one Whisper worker vs two in one consumer group.

Seeded simulator calls (chosen so their call_id keys fill the partitions evenly) spoken with
espeak-ng over the telephone band (8 kHz), cut into 200 ms AudioChunk messages on both
channels, as the simulator's Kafka transport sends them. Each phase
gets a fresh embedded tansu broker (fresh topics and `kcall.asr` group) and N worker
processes running the production ASR handler (`stage_handler(Stage.ASR)` under
`run_stage`, Whisper base, Silero VAD, redaction) with T CTranslate2 threads each. The
workers join first; then every chunk is produced at full speed (a backlog) and the phase
ends when the group has committed every chunk (the runner commits only past released
output); throughput = audio seconds / (first chunk produced → last transcript). CPU per
process from /proc as in scale_out.py.
Last line: `RESULT {json}`; value = the second phase's audio-s per s, baseline = the first's.
Run: .venv/bin/python bench/scale_out_asr.py [--calls 8] [--phases 1x2,2x2,2x1]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import threading
import time
from typing import Any

from _cpu import Meter
from _workers import run_in_process, worker_group
from kafka import KafkaConsumer, TopicPartition
from kafka.partitioner.default import murmur2

from pipelines.workers import Stage, stage_handler
from services.broker import Publisher
from services.broker.clients import client_config, consumer_group, make_admin, make_consumer
from services.broker.embedded import EmbeddedBroker
from services.broker.topics import ensure_topics
from services.config import Settings, get_settings
from services.schemas import AudioChunk, Topic
from simulator import ScriptedCall, generate_calls, generate_world
from simulator.audio import call_audio, chunk_audio


def _worker(settings: Settings, bootstrap: str, ready: Any, stop: Any) -> None:
    logging.basicConfig(level=logging.WARNING)
    with stage_handler(Stage.ASR, settings) as handler:
        run_in_process(handler, bootstrap=bootstrap, settings=settings, ready=ready, stop=stop)


class _TranscriptClock:
    """Counts transcripts-topic records and remembers when the last one arrived."""

    def __init__(self, settings: Settings, bootstrap: str) -> None:
        self.count, self.last = 0, 0.0
        self._stop = threading.Event()
        self._consumer = make_consumer(settings.kafka, bootstrap, stage=f"bench-{os.getpid()}")
        self._consumer.subscribe([Topic.TRANSCRIPTS.value])
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            batches = self._consumer.poll(timeout_ms=200)
            got = sum(len(records) for records in batches.values())
            if got:
                self.count += got
                self.last = time.monotonic()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._consumer.close()


class _Drained:
    """True once the ASR group's committed offsets reach the audio topic's end offsets."""

    def __init__(self, settings: Settings, bootstrap: str) -> None:
        self._group = consumer_group(settings.kafka, Stage.ASR.value)
        self._admin = make_admin(settings.kafka, bootstrap)
        self._ends = KafkaConsumer(**client_config(settings.kafka, bootstrap,
                                                   client_id="bench-ends"))
        self._parts = [TopicPartition(Topic.AUDIO.value, p)
                       for p in range(settings.kafka.partitions)]

    def __call__(self) -> bool:
        ends = {tp: end for tp, end in self._ends.end_offsets(self._parts).items() if end > 0}
        committed = self._admin.list_group_offsets({self._group: None})[self._group]
        return all(tp in committed and committed[tp].offset >= end for tp, end in ends.items())

    def close(self) -> None:
        self._ends.close()
        self._admin.close()


def _phase(settings: Settings, chunks: list[AudioChunk], audio_s: float, *, workers: int,
           threads: int) -> dict[str, Any]:
    label = f"{workers} worker{'s' if workers > 1 else ''} x {threads} thread{'s' * (threads > 1)}"
    settings = settings.model_copy(
        update={"asr": settings.asr.model_copy(update={"threads": threads})})
    with EmbeddedBroker() as broker, \
            Publisher(broker.bootstrap, settings.kafka, client_id="bench") as publisher:
        ensure_topics(settings.kafka, broker.bootstrap)
        clock = _TranscriptClock(settings, broker.bootstrap)
        try:
            with worker_group(_worker, (settings, broker.bootstrap), workers=workers,
                              what="an ASR worker", join_timeout_s=300, settle_s=2.0) as pids:
                pids.update({"broker": broker.pid or 0, "bench": os.getpid()})
                meter = Meter(pids)
                meter.start()
                started = time.monotonic()
                for chunk in chunks:
                    publisher.send(Topic.AUDIO, chunk)
                publisher.flush()
                deadline = started + 1800
                cpu, seen = meter.stop(), 0.0
                drained = _Drained(settings, broker.bootstrap)
                try:
                    while time.monotonic() < deadline:
                        time.sleep(1.0)
                        if clock.last > seen:  # CPU up to the latest transcript, not the check
                            cpu, seen = meter.stop(), clock.last
                        # done: the group committed every chunk (commits follow released output)
                        if drained():
                            break
                finally:
                    drained.close()
                time.sleep(1.0)  # the last transcripts reach the clock's consumer
        finally:
            clock.close()
    wall = clock.last - started
    shares = ", ".join(f"{k} {v:.0f}%" for k, v in cpu["cpu_pct"].items())
    print(f"{label}: {audio_s:.0f} audio-s in {wall:.1f} s = {audio_s / wall:.2f} audio-s/s, "
          f"{clock.count} transcripts; CPU: {shares}; machine {cpu['machine_busy_pct']}% busy",
          flush=True)
    return {"label": label, "workers": workers, "threads": threads, "wall_s": round(wall, 1),
            "audio_s_per_s": round(audio_s / wall, 2), "transcripts": clock.count,
            "cpu_pct": cpu["cpu_pct"], "machine_busy_pct": cpu["machine_busy_pct"]}


def _balanced(pool: list[ScriptedCall], partitions: int, n: int) -> list[ScriptedCall]:
    """`n` calls spread evenly over the partitions their keys hash to.

    With a handful of calls the call_id hash puts most on one or two partitions (the first
    8 seeded calls land 0/1/4/3), which would measure the hash, not the second worker; a
    real backlog of many calls spreads evenly.
    """
    by_partition: dict[int, list[ScriptedCall]] = {p: [] for p in range(partitions)}
    for call in pool:  # kafka-python's default partitioner: murmur2 of the key
        by_partition[(murmur2(call.call_id.encode()) & 0x7FFFFFFF) % partitions].append(call)
    picked: list[ScriptedCall] = []
    while len(picked) < n and any(by_partition.values()):
        for queue in by_partition.values():
            if queue and len(picked) < n:
                picked.append(queue.pop(0))
    return picked


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=8,
                        help="calls per phase (a multiple of the partitions keeps workers even)")
    parser.add_argument("--phases", default="1x2,2x2,2x1",
                        help="WORKERSxTHREADS, comma-separated; the first is the baseline")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = get_settings()
    phases = [tuple(int(v) for v in p.split("x")) for p in args.phases.split(",")]
    world = generate_world(seed=settings.simulator.seed, customers=settings.simulator.customers)
    pool = generate_calls(world, seed=settings.simulator.seed, n=args.calls * 8,
                          auto_credit_limit_krw=settings.agent.auto_credit_limit_krw)
    calls = _balanced(pool, settings.kafka.partitions, args.calls)
    chunks: list[AudioChunk] = []
    audio_s = 0.0
    for call in calls:
        audio = call_audio(call, telephone=True, voice=settings.simulator.espeak_voice)
        for channel, pcm in audio.channels.items():
            chunks += chunk_audio(call.call_id, channel, pcm, audio.sample_rate)
            audio_s += len(pcm) / audio.sample_rate
    print(f"{len(calls)} calls, {audio_s:.0f} s of audio over both channels, "
          f"{len(chunks)} chunks", flush=True)
    runs = [_phase(settings, chunks, audio_s, workers=w, threads=t)
            for w, t in phases]
    print("\n| run | audio-s/s | wall s | transcripts | CPU per process (% of a core) "
          "| machine busy |")
    print("|---|---|---|---|---|---|")
    for run in runs:
        shares = ", ".join(f"{k} {v:.0f}" for k, v in run["cpu_pct"].items())
        print(f"| {run['label']} | {run['audio_s_per_s']} | {run['wall_s']} | "
              f"{run['transcripts']} | {shares} | {run['machine_busy_pct']}% |")
    value, base = runs[min(1, len(runs) - 1)]["audio_s_per_s"], runs[0]["audio_s_per_s"]
    print("RESULT " + json.dumps({
        "bench": "scale_out_asr", "value": value, "unit": "audio-s/s", "baseline": base,
        "ratio": round(value / base, 2) if base else None, "calls": args.calls,
        "audio_s": round(audio_s, 1), "cpus": os.cpu_count(), "runs": runs},
        ensure_ascii=False))


if __name__ == "__main__":
    main()
