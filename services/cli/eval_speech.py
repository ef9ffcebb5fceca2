"""What the system hears: ASR-style corrupted text, and real Whisper output on speech.

Three sources of "heard" text for the evaluation passes:
- `NoisyTexts`: the script through `agents.intents.noise` (Whisper-like text errors);
- `whisper_texts`: each customer turn spoken by espeak-ng and transcribed by the real
  Whisper engine, one turn at a time (the streaming VAD segmenter is not in this loop; the
  agent's turns stay as scripted, they are never analysed). espeak-ng's Korean voice is
  barely intelligible to Whisper base, so these figures are a floor, not an estimate;
- `real_clip_cer`: the five real Korean clips through the same engine (CER only).
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agents.intents import with_asr_noise
from services.asr import DecodeOptions, HallucinationFilter, SpeechEngine
from services.cli.asr_eval import cer, evaluate, load_clips
from services.schemas import Speaker
from simulator import ScriptedCall, synthesize

__all__ = ["ClipCer", "NoisyTexts", "WhisperTexts", "real_clip_cer", "whisper_texts"]


class NoisyTexts:
    """A `TurnTexts` that corrupts every turn, seeded per call so a call's noise repeats."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __call__(self, call: ScriptedCall) -> list[str]:
        """The call's turns as an ASR might have written them."""
        rng = random.Random(f"asr-noise:{self.seed}:{call.call_id}")
        return [with_asr_noise(turn.text, rng) for turn in call.turns]


@dataclass(frozen=True)
class WhisperTexts:
    """Whisper's transcripts of the customer turns, and their CER against the script."""

    texts: dict[str, list[str]]
    cer: list[float]
    audio_s: float
    seconds: float

    @property
    def mean_cer(self) -> float:
        """Mean utterance CER (NaN when nothing was transcribed)."""
        return statistics.fmean(self.cer) if self.cer else float("nan")

    def __call__(self, call: ScriptedCall) -> list[str]:
        """The heard turns of a transcribed call (a `TurnTexts`)."""
        return self.texts[call.call_id]


def whisper_texts(engine: SpeechEngine, calls: list[ScriptedCall], options: DecodeOptions,
                  *, voice: str) -> WhisperTexts:
    """Speak each customer turn with espeak-ng, transcribe it, and keep what Whisper heard."""
    guard = HallucinationFilter(no_speech_threshold=options.no_speech_threshold)
    texts: dict[str, list[str]] = {}
    errors: list[float] = []
    audio_s = seconds = 0.0
    for call in calls:
        heard: list[str] = []
        for turn in call.turns:
            if turn.speaker is not Speaker.CUSTOMER:
                heard.append(turn.text)
                continue
            audio = synthesize(turn.text, voice=voice, sample_rate=16_000).astype(np.float32)
            audio /= 32768.0
            started = time.perf_counter()
            (raw,) = engine.transcribe_batch([audio], options)  # as the ASR stage decodes it
            text = guard.clean(raw).text.strip()
            seconds += time.perf_counter() - started
            audio_s += len(audio) / 16_000
            errors.append(cer(turn.text, text))
            heard.append(text or "…")  # an empty turn still reaches the graph, as silence would
        texts[call.call_id] = heard
    return WhisperTexts(texts=texts, cer=errors, audio_s=audio_s, seconds=seconds)


@dataclass(frozen=True)
class ClipCer:
    """Mean CER of the real clips under one condition."""

    condition: str
    clips: int
    cer: float
    rtf: float


def real_clip_cer(engine: SpeechEngine, clips_dir: Path, options: DecodeOptions,
                  *, snr_db: float = 20.0, seed: int = 7) -> list[ClipCer]:
    """CER of the real Korean clips, clean and over a G.711 phone line (as `kcall eval asr`)."""
    clips = load_clips(clips_dir, espeak=False)
    by_condition: dict[str, list[tuple[float, float, float]]] = {}
    for result in evaluate(engine, clips, options, snr_db=snr_db, seed=seed):
        by_condition.setdefault(result.condition, []).append(
            (result.cer, result.seconds, result.duration_s))
    return [
        ClipCer(condition, len(rows), statistics.fmean(r[0] for r in rows),
                sum(r[1] for r in rows) / sum(r[2] for r in rows))
        for condition, rows in by_condition.items()
    ]
