"""Streaming ASR vs. whole-file-after-hangup: end-of-utterance -> transcript latency and RTF.

Usage: python bench/asr_stream.py [--calls 1,4,8] [--turns 4] [--batch 8] [--window 30,10]

Each synthetic call has two 8 kHz G.711 channels (customer, agent) taking turns; speech
is espeak-ng Korean plus, when present, the real clip leopard_test_ko.wav. Chunks of
200 ms are fed to the real AsrHandler (real Whisper base, real Silero VAD) in REAL TIME:
chunk k of every call is handed over at start + 0.2 k s, or later if the worker is busy
(that lag counts in the latency). One synchronous worker, like one stage runner process,
no broker in the loop: each poll batch holds every chunk already spoken (one 200 ms step
of every call when the worker keeps up, its whole backlog, up to max_poll_records, when
it lags, as Kafka would deliver it), handed to `handle`; then `tick` transcribes what the
batch finished. `--batch` runs the streaming
side once per engine batch size: 1 = one utterance at a time, N = up to N utterances of
different calls per `transcribe_batch` (the RESULT line uses the largest). Latency of an
utterance = wall time its Utterance message came out - wall time the last sample of its
speech was spoken.

Baseline: the same calls transcribed as whole files (faster-whisper with its VAD filter)
by one worker after all of them hang up, one channel file after another; an utterance's
latency = when its channel's file finished - when it was spoken.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.asr import AsrHandler  # noqa: E402
from pipelines.stage import Incoming, Outgoing  # noqa: E402
from services.asr import (  # noqa: E402
    DecodeOptions,
    FasterWhisperEngine,
    float_to_pcm16,
    load_engine,
    read_wav,
    resample,
)
from services.config import get_settings  # noqa: E402
from services.schemas import AudioChunk, Speaker, Utterance  # noqa: E402
from simulator.espeak_clips import ESPEAK_SENTENCES, espeak_clip  # noqa: E402
from simulator.telephone import PHONE_RATE, degrade  # noqa: E402

CHUNK_S = 0.2
GAP_S = 0.8
CLIPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech-ko"


@dataclass
class Call:
    call_id: str
    tracks: dict[Speaker, np.ndarray]  # 8 kHz phone audio
    turn_ends_s: dict[Speaker, list[float]]

    @property
    def duration_s(self) -> float:
        return len(self.tracks[Speaker.CUSTOMER]) / PHONE_RATE


def build_calls(count: int, turns: int, voices: list[np.ndarray]) -> list[Call]:
    calls = []
    for i in range(count):
        layout, t = [], 0.5
        for k in range(turns):
            clip = voices[(i + k) % len(voices)]
            speaker = Speaker.CUSTOMER if k % 2 == 0 else Speaker.AGENT
            layout.append((speaker, t, clip))
            t += len(clip) / 16000 + GAP_S
        total = int((t + 1.0) * 16000)
        tracks16 = {s: np.zeros(total, dtype=np.float32) for s in Speaker}
        ends: dict[Speaker, list[float]] = {s: [] for s in Speaker}
        for speaker, start, clip in layout:
            tracks16[speaker][int(start * 16000) : int(start * 16000) + len(clip)] += clip
            ends[speaker].append(start + len(clip) / 16000)
        tracks = {s: degrade(x, 16000, snr_db=25, seed=i) for s, x in tracks16.items()}
        calls.append(Call(f"bench-{count}-{i}", tracks, ends))
    return calls


def chunks(call: Call) -> dict[Speaker, list[AudioChunk]]:
    step = int(PHONE_RATE * CHUNK_S)
    out = {}
    for speaker, track in call.tracks.items():
        pcm = [float_to_pcm16(track[i : i + step]) for i in range(0, len(track), step)]
        out[speaker] = [
            AudioChunk(call_id=call.call_id, seq=k, channel=speaker, sample_rate=PHONE_RATE,
                       pcm=p, last=k == len(pcm) - 1)
            for k, p in enumerate(pcm)
        ]
    return out


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_streaming(
    engine: FasterWhisperEngine, calls: list[Call], batch: int, window_s: float
) -> dict[str, float]:
    engine.batch_size, engine.window_step_s = batch, window_s
    counts_before = dataclasses.replace(engine.counts)
    handler = AsrHandler(engine, lambda text: (text, []), get_settings().asr)
    per_call = {c.call_id: chunks(c) for c in calls}
    steps = max(len(v[s]) for v in per_call.values() for s in Speaker)
    max_records = get_settings().kafka.max_poll_records
    latencies: list[float] = []
    busy, offset, k, start = 0.0, 0, 0, time.monotonic()
    while k < steps:
        due = start + (k + 1) * CHUNK_S  # chunk k is complete once its 200 ms have been spoken
        if (wait := due - time.monotonic()) > 0:
            time.sleep(wait)
        t0 = time.monotonic()
        # One poll: every chunk already spoken, as Kafka hands a lagging consumer its backlog.
        polled: list[AudioChunk] = []
        while k < steps and len(polled) < max_records:
            if polled and start + (k + 1) * CHUNK_S > t0:
                break  # not spoken yet
            polled += [v[speaker][k] for v in per_call.values() for speaker in Speaker
                       if k < len(v[speaker])]
            k += 1
        out: list[Outgoing] = []
        for chunk in polled:
            out += handler.handle(Incoming(chunk, 0, offset))
            offset += 1
        out += handler.tick(time.monotonic())
        done = time.monotonic()
        for o in out:
            if isinstance(o.message, Utterance):
                latencies.append(done - (start + o.message.end_ms / 1000))
        busy += done - t0
    channel_audio_s = sum(c.duration_s for c in calls) * 2
    return {
        "p50_ms": 1000 * pct(latencies, 0.5),
        "p95_ms": 1000 * pct(latencies, 0.95),
        "utterances": len(latencies),
        "rtf": busy / channel_audio_s,
        "realtime_load": busy / max(c.duration_s for c in calls),
        "wall_s": time.monotonic() - start,
        "dropped_hallucinated_segments": handler.filter.counter.total_dropped,
        "engine_calls": handler.stats.batches,
        "mean_batch": handler.stats.batched_utterances / max(handler.stats.batches, 1),
        "decoded_in_batches": engine.counts.batched - counts_before.batched,
        "decoded_alone_again": engine.counts.one_by_one - counts_before.one_by_one,
    }


def run_whole_file(engine: FasterWhisperEngine, calls: list[Call]) -> dict[str, float]:
    options = DecodeOptions.from_settings(get_settings().asr, vad_filter=True)
    latencies: list[float] = []
    busy, clock = 0.0, 0.0  # the worker's timeline, in seconds since the calls started
    for call in sorted(calls, key=lambda c: c.duration_s):
        clock = max(clock, call.duration_s)  # it can start a call only once it hung up
        for speaker in Speaker:
            audio = resample(call.tracks[speaker], PHONE_RATE)
            t0 = time.monotonic()
            engine.transcribe(audio, options)
            took = time.monotonic() - t0
            busy, clock = busy + took, clock + took
            latencies += [clock - end for end in call.turn_ends_s[speaker]]
    channel_audio_s = sum(c.duration_s for c in calls) * 2
    return {
        "p50_ms": 1000 * pct(latencies, 0.5),
        "p95_ms": 1000 * pct(latencies, 0.95),
        "utterances": len(latencies),
        "rtf": busy / channel_audio_s,
        "realtime_load": busy / max(c.duration_s for c in calls),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", default="1,4,8")
    parser.add_argument("--turns", type=int, default=4)
    settings = get_settings()
    parser.add_argument("--batch", default=str(settings.asr.batch_size))
    parser.add_argument("--window", default=f"30,{settings.asr.window_step_s:g}")
    args = parser.parse_args()
    engine = load_engine(settings)
    assert isinstance(engine, FasterWhisperEngine), "the bench measures faster-whisper"
    batches = list(dict.fromkeys(int(x) for x in args.batch.split(",")))
    windows = list(dict.fromkeys(float(x) for x in args.window.split(",")))
    variants = [(b, w) for b in batches for w in windows]
    load_at_start = os.getloadavg()
    voices = [resample(*espeak_clip(s, settings.simulator.espeak_voice)) for s in ESPEAK_SENTENCES]
    if (CLIPS / "leopard_test_ko.wav").is_file():
        voices.insert(0, resample(*read_wav(CLIPS / "leopard_test_ko.wav")))
    engine.transcribe(voices[0], DecodeOptions())  # warm-up: first decode pays one-off costs
    details: dict[str, dict[str, Any]] = {}
    for n in [int(x) for x in args.calls.split(",")]:
        calls = build_calls(n, args.turns, voices)
        runs = {
            f"streaming_batch{b}_window{w:g}s": run_streaming(engine, calls, b, w)
            for b, w in variants
        }
        whole = run_whole_file(engine, calls)
        call_s = round(calls[0].duration_s, 2)
        details[f"{n}_calls"] = {**runs, "whole_file": whole, "call_s": call_s}
        for (b, w), r in zip(variants, runs.values(), strict=True):
            print(f"{n} call(s) streaming, batch {b}, window {w:g} s: p50 {r['p50_ms']:.0f} ms "
                  f"p95 {r['p95_ms']:.0f} ms, real-time load {r['realtime_load']:.2f} "
                  f"({'keeps up' if r['realtime_load'] < 1 else 'falls behind'}), "
                  f"rtf {r['rtf']:.3f}/channel-s, mean batch {r['mean_batch']:.1f}", flush=True)
        print(f"{n} call(s) whole file after hang-up: p50 {whole['p50_ms']:.0f} ms "
              f"p95 {whole['p95_ms']:.0f} ms, real-time load {whole['realtime_load']:.2f}, "
              f"rtf {whole['rtf']:.3f}/channel-s [load average {os.getloadavg()[0]:.1f}]",
              flush=True)
    key = "4_calls" if "4_calls" in details else next(iter(details))
    last = f"streaming_batch{batches[-1]}_window{windows[-1]:g}s"
    value = details[key][last]["p50_ms"]
    baseline = details[key]["whole_file"]["p50_ms"]
    result = {
        "bench": "asr_stream_eou_latency_p50",
        "value": round(value, 1),
        "unit": "ms",
        "baseline": round(baseline, 1),
        "ratio": round(baseline / value, 3),
        "higher_is_better": "ratio (baseline latency / streaming latency)",
        "at": key,
        "pacing": "real time, 200 ms chunks, one synchronous worker, 8 kHz G.711 input",
        "asr": {"engine": engine.name, "threads": settings.asr.threads,
                "compute_type": settings.asr.compute_type, "beam_size": settings.asr.beam_size,
                "batch_size": batches[-1], "window_step_s": windows[-1]},
        "realtime_load": round(details[key][last]["realtime_load"], 3),
        "keeps_up": details[key][last]["realtime_load"] < 1,
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        "cpus": os.cpu_count(),
        "details": details,
    }
    print("RESULT " + json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
