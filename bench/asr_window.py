"""Encoder window fitted to the utterance vs. Whisper's fixed 30 s window: speed and accuracy.

Usage: python bench/asr_window.py [--steps 30,20,15,10,5] [--repeats 2]

Whisper pads every utterance to 30 s before the encoder; the ASR stage can instead give an
utterance the shortest window, a multiple of `KCALL_ASR_WINDOW_STEP_S`, that holds it (see
services/asr/batch_decode.py). This measures, per window step, on the stage's own decode
path (`transcribe_batch` of one utterance, real Whisper base int8, this machine's threads):

- speed: decode seconds per utterance (median of `--repeats` runs of the whole set);
- accuracy on real Korean speech with a reference: CER of leopard_test_ko.wav, clean and
  varied as a call center would hear it (G.711 phone line at 25 and 10 dB SNR, speaking
  rate 0.9x and 1.1x, 0.3 s and 1.2 s of lead-in silence from the VAD's padding);
- keyword recall on the other real clips, whose manifest names what is said (the slot
  "파란색", the wake words "빅스비", "코뿔소", "아이스크림"), clean and phone line;
- agreement with the 30 s window (CER of each hypothesis against the 30 s one) on the real
  clips. The espeak-ng call-center sentences are decoded too, for speed only: Whisper base
  barely understands espeak-ng, so their text says nothing about accuracy.

RESULT: value = utterances decoded per second at the configured step (KCALL_ASR_WINDOW_STEP_S,
or 10 when that is 30), baseline = the same at 30 s, ratio = value / baseline. The CER table
is in `details`; a step is only worth shipping if its CER columns match the 30 s ones.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.evaluation.cer import cer, normalize_korean  # noqa: E402
from services.asr import (  # noqa: E402
    WHISPER_RATE,
    DecodeOptions,
    FasterWhisperEngine,
    HallucinationFilter,
    load_engine,
    read_wav,
    resample,
)
from services.config import get_settings  # noqa: E402
from simulator.espeak_clips import ESPEAK_SENTENCES, espeak_clip  # noqa: E402
from simulator.telephone import PHONE_RATE, degrade  # noqa: E402

CLIPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech-ko"


@dataclass(frozen=True)
class Item:
    name: str
    audio: NDArray[np.float32]
    reference: str | None  # full transcript, when one exists
    keywords: tuple[str, ...]  # words the manifest says are spoken


def phone(audio: NDArray[np.float32], snr_db: float, seed: int) -> NDArray[np.float32]:
    return resample(degrade(audio, WHISPER_RATE, snr_db=snr_db, seed=seed), PHONE_RATE)


def speed(audio: NDArray[np.float32], factor: float) -> NDArray[np.float32]:
    # Plain time-scaling by interpolation (pitch moves too, as in speed perturbation).
    n = int(len(audio) / factor)
    stretched = np.interp(np.arange(n) * factor, np.arange(len(audio)), audio)
    return np.asarray(stretched, dtype=np.float32)


def lead_in(audio: NDArray[np.float32], seconds: float) -> NDArray[np.float32]:
    return np.concatenate([np.zeros(int(seconds * WHISPER_RATE), np.float32), audio])


def build_items(voice: str) -> list[Item]:
    items: list[Item] = []
    entries = [
        json.loads(line)
        for line in (CLIPS / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    for entry in entries:
        samples, rate = read_wav(CLIPS / entry["file"])
        audio = resample(samples, rate)
        stem = entry["file"].removesuffix(".wav")
        if entry.get("transcript"):
            ref = entry["transcript"]
            variants = {
                "clean": audio,
                "phone25": phone(audio, 25, 1),
                "phone10": phone(audio, 10, 2),
                "speed0.9": speed(audio, 0.9),
                "speed1.1": speed(audio, 1.1),
                "lead0.3": lead_in(audio, 0.3),
                "lead1.2": lead_in(audio, 1.2),
                "phone25_speed0.9": phone(speed(audio, 0.9), 25, 3),
            }
            items += [Item(f"{stem}/{k}", v, ref, ()) for k, v in variants.items()]
            continue
        words = tuple(entry.get("keywords_in_order") or [])
        words += tuple(entry.get("slots", {}).values())
        if entry.get("wakeword"):
            words += (entry["wakeword"],)
        for k, v in {"clean": audio, "phone25": phone(audio, 25, 4)}.items():
            items.append(Item(f"{stem}/{k}", v, None, words))
    for i, sentence in enumerate(ESPEAK_SENTENCES):
        samples, rate = espeak_clip(sentence, voice)
        audio = resample(samples, rate)
        items.append(Item(f"espeak-{i}/clean", audio, None, ()))
        items.append(Item(f"espeak-{i}/phone25", phone(audio, 25, 10 + i), None, ()))
    return items


def decode_all(
    engine: FasterWhisperEngine, items: list[Item], options: DecodeOptions, step: float
) -> tuple[list[str], float]:
    """Texts (after the stage's hallucination filter) and seconds per utterance."""
    engine.window_step_s = step
    clean = HallucinationFilter(no_speech_threshold=options.no_speech_threshold).clean
    texts, seconds = [], 0.0
    for item in items:
        started = time.perf_counter()
        (heard,) = engine.transcribe_batch([item.audio], options)
        seconds += time.perf_counter() - started
        texts.append(clean(heard).text)
    return texts, seconds / len(items)


def keyword_hits(item: Item, text: str) -> tuple[int, int]:
    said = normalize_korean(text)
    return sum(normalize_korean(w) in said for w in item.keywords), len(item.keywords)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="30,20,15,10,5")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    settings = get_settings()
    engine = load_engine(settings)
    assert isinstance(engine, FasterWhisperEngine), "the bench measures faster-whisper"
    chosen = settings.asr.window_step_s if settings.asr.window_step_s < 30 else 10.0
    steps = sorted({float(s) for s in args.steps.split(",")} | {30.0, chosen}, reverse=True)
    options = DecodeOptions.from_settings(settings.asr)
    items = build_items(settings.simulator.espeak_voice)
    engine.transcribe(items[0].audio, options)  # warm-up: first decode pays one-off costs
    load_at_start = os.getloadavg()
    results: dict[float, dict[str, Any]] = {}
    for step in steps:
        runs = [decode_all(engine, items, options, step) for _ in range(args.repeats)]
        texts = runs[0][0]
        results[step] = {"texts": texts, "s_per_utt": statistics.median(r[1] for r in runs)}
    reference_texts = results[30.0]["texts"]
    table: dict[str, dict[str, Any]] = {}
    for step in steps:
        texts = results[step]["texts"]
        cers = {
            i.name: round(cer(i.reference, t), 3)
            for i, t in zip(items, texts, strict=True)
            if i.reference
        }
        hits = [keyword_hits(i, t) for i, t in zip(items, texts, strict=True) if i.keywords]
        agree = [  # real clips only: on espeak-ng audio Whisper base guesses differently each time
            cer(r, t) if normalize_korean(r) else float(bool(normalize_korean(t)))
            for i, r, t in zip(items, reference_texts, texts, strict=True)
            if not i.name.startswith("espeak")
        ]
        table[f"{step:g}s"] = {
            "s_per_utterance": round(results[step]["s_per_utt"], 3),
            "speedup_vs_30s": round(results[30.0]["s_per_utt"] / results[step]["s_per_utt"], 2),
            "real_cer_mean": round(statistics.fmean(cers.values()), 3),
            "real_cer": cers,
            "keyword_recall": round(sum(h for h, _ in hits) / max(sum(n for _, n in hits), 1), 3),
            "identical_to_30s": sum(a == 0 for a in agree),
            "cer_vs_30s_mean": round(statistics.fmean(agree), 3),
            "texts": dict(zip((i.name for i in items), texts, strict=True)),
        }
        row = table[f"{step:g}s"]
        print(
            f"window step {step:>4g} s: {row['s_per_utterance']:.3f} s/utt "
            f"(x{row['speedup_vs_30s']:.2f}) | real CER mean {row['real_cer_mean']:.3f} "
            f"| keyword recall {row['keyword_recall']:.2f} | real clips identical to 30 s "
            f"{row['identical_to_30s']}/{len(agree)}, CER vs 30 s {row['cer_vs_30s_mean']:.3f}",
            flush=True,
        )
    value = 1 / results[chosen]["s_per_utt"]
    baseline = 1 / results[30.0]["s_per_utt"]
    result = {
        "bench": "asr_window_utterances_per_s",
        "value": round(value, 3),
        "unit": "utterances/s",
        "baseline": round(baseline, 3),
        "ratio": round(value / baseline, 3),
        "higher_is_better": "ratio (fitted-window speed / fixed 30 s window speed)",
        "window_step_s": chosen,
        "real_cer_mean": table[f"{chosen:g}s"]["real_cer_mean"],
        "real_cer_mean_30s": table["30s"]["real_cer_mean"],
        "utterances": len(items),
        "asr": {"threads": settings.asr.threads, "compute_type": settings.asr.compute_type},
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        "details": table,
    }
    print("RESULT " + json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
