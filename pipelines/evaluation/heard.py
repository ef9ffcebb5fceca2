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
import time
from pathlib import Path

import numpy as np

from agents.evaluation.cer import cer
from agents.evaluation.speech import ClipCer, WhisperTexts, mean_by_condition
from agents.intents import with_asr_noise
from pipelines.evaluation.asr_clips import evaluate, load_clips
from services.asr import DecodeOptions, HallucinationFilter, SpeechEngine
from services.schemas import Speaker
from simulator import ScriptedCall, synthesize

__all__ = ["NoisyTexts", "real_clip_cer", "whisper_texts"]


class NoisyTexts:
    """A `TurnTexts` that corrupts every turn, seeded per call so a call's noise repeats."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __call__(self, call: ScriptedCall) -> list[str]:
        """The call's turns as an ASR might have written them."""
        rng = random.Random(f"asr-noise:{self.seed}:{call.call_id}")
        return [with_asr_noise(turn.text, rng) for turn in call.turns]


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


def real_clip_cer(engine: SpeechEngine, clips_dir: Path, options: DecodeOptions,
                  *, snr_db: float = 20.0, seed: int = 7) -> list[ClipCer]:
    """CER of the real Korean clips, clean and over a G.711 phone line (as `kcall eval asr`)."""
    clips = load_clips(clips_dir, espeak=False)
    return mean_by_condition(evaluate(engine, clips, options, snr_db=snr_db, seed=seed))
