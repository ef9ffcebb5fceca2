"""Clips through the speech engine as the ASR stage decodes them, clean and over a phone line."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from agents.evaluation.cer import cer
from agents.evaluation.speech import ClipResult
from services.asr import WHISPER_RATE, DecodeOptions, HallucinationFilter, SpeechEngine, resample
from simulator.espeak_clips import ESPEAK_SENTENCES, espeak_clip
from simulator.telephone import PHONE_RATE, degrade

__all__ = ["Clip", "conditions", "evaluate", "load_clips"]


@dataclass(frozen=True, slots=True)
class Clip:
    """One evaluation clip at 16 kHz with its reference text."""

    name: str
    set: str
    audio: NDArray[np.float32]
    reference: str


def load_clips(clips_dir: Path | None, *, espeak: bool, voice: str = "ko") -> list[Clip]:
    """Real clips with a reference transcript from `manifest.jsonl`, plus espeak-ng sentences."""
    from services.asr import read_wav

    clips: list[Clip] = []
    if clips_dir is not None and (clips_dir / "manifest.jsonl").is_file():
        for line in (clips_dir / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
            entry = json.loads(line) if line.strip() else {}
            if entry.get("transcript"):
                samples, rate = read_wav(clips_dir / entry["file"])
                audio = resample(samples, rate)
                clips.append(Clip(entry["file"], "real", audio, entry["transcript"]))
    if espeak:
        for i, sentence in enumerate(ESPEAK_SENTENCES):
            samples, rate = espeak_clip(sentence, voice)
            clips.append(Clip(f"espeak-{i}", "espeak", resample(samples, rate), sentence))
    return clips


Transform = Callable[[NDArray[np.float32]], NDArray[np.float32]]


def conditions(snr_db: float, seed: int) -> dict[str, Transform]:
    """Named audio transforms: clean, and a G.711 phone line with noise (back at 16 kHz)."""

    def phone(audio: NDArray[np.float32]) -> NDArray[np.float32]:
        return resample(degrade(audio, WHISPER_RATE, snr_db=snr_db, seed=seed), PHONE_RATE)

    return {"clean": lambda audio: audio, f"phone_g711_{snr_db:g}dB": phone}


def evaluate(
    engine: SpeechEngine, clips: list[Clip], options: DecodeOptions, *, snr_db: float, seed: int
) -> Iterator[ClipResult]:
    """Transcribe every clip under every condition as the ASR stage decodes an utterance.

    That is `transcribe_batch` (the stage's encoder window, `KCALL_ASR_WINDOW_STEP_S`), then
    the stage's hallucination filter.
    """
    for condition, transform in conditions(snr_db, seed).items():
        for clip in clips:
            audio = transform(clip.audio)
            started = time.perf_counter()
            (raw,) = engine.transcribe_batch([audio], options)
            seconds = time.perf_counter() - started
            heard = HallucinationFilter(no_speech_threshold=options.no_speech_threshold).clean(raw)
            yield ClipResult(
                clip.name, clip.set, condition, clip.reference, heard.text,
                cer(clip.reference, heard.text), len(audio) / WHISPER_RATE, seconds,
                len(raw.segments) - len(heard.segments),
            )
