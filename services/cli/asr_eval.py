"""ASR evaluation helpers: Korean text normalization, CER, espeak-ng clips, eval conditions."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from services.asr import WHISPER_RATE, DecodeOptions, HallucinationFilter, SpeechEngine, resample
from simulator.telephone import PHONE_RATE, degrade

__all__ = [
    "ESPEAK_SENTENCES",
    "Clip",
    "ClipResult",
    "cer",
    "conditions",
    "espeak_clip",
    "evaluate",
    "load_clips",
    "normalize_korean",
    "number_to_hangul",
]

# Call-center sentences for the synthetic set (espeak-ng's Korean voice is barely
# intelligible to Whisper base: these measure the mechanics, not accuracy).
ESPEAK_SENTENCES: tuple[str, ...] = (
    "안녕하세요 요금 문의 드리려고 전화했어요",
    "이번 달 청구서에 로밍 요금이 두 번 나왔어요",
    "데이터 무제한 요금제로 바꾸고 싶습니다",
    "해지하면 위약금이 얼마나 나오나요",
    "확인해 보니 중복 청구가 맞습니다 환불해 드리겠습니다",
    "다른 통신사로 옮기려고 합니다",
)

_DIGITS = "영일이삼사오육칠팔구"
_SMALL_UNITS = ((1000, "천"), (100, "백"), (10, "십"))
_BIG_UNITS = ((10**12, "조"), (10**8, "억"), (10**4, "만"))
_PUNCT = re.compile(r"[^\w]|_", re.UNICODE)


def number_to_hangul(value: int) -> str:
    """Sino-Korean reading of a non-negative integer (1234 -> 천이백삼십사)."""
    if value == 0:
        return "영"
    if value >= 10**16:  # past 조: a digit string (a hallucinated run, an ID), read digit by digit
        return "".join(_DIGITS[int(d)] for d in str(value))
    words = []
    for unit, name in (*_BIG_UNITS, (1, "")):
        group, value = divmod(value, unit)
        if group:
            words.append(("" if group == 1 and name == "만" else _below_10000(group)) + name)
    return "".join(words)


def _below_10000(value: int) -> str:
    out = ""
    for unit, name in _SMALL_UNITS:
        digit, value = divmod(value, unit)
        if digit:
            out += ("" if digit == 1 else _DIGITS[digit]) + name
    return out + (_DIGITS[value] if value else "")


def normalize_korean(text: str) -> str:
    """Lower-case, numbers spelled in Hangul, punctuation and spaces removed (for CER)."""
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text.lower())
    text = re.sub(r"\d+", lambda m: number_to_hangul(int(m.group())), text)
    return _PUNCT.sub("", text)


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate after normalization (edit distance / reference length)."""
    ref, hyp = normalize_korean(reference), normalize_korean(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1] / len(ref)


@dataclass(frozen=True, slots=True)
class Clip:
    """One evaluation clip at 16 kHz with its reference text."""

    name: str
    set: str
    audio: NDArray[np.float32]
    reference: str


@dataclass(frozen=True, slots=True)
class ClipResult:
    """What the engine made of one clip under one condition."""

    name: str
    set: str
    condition: str
    reference: str
    hypothesis: str
    cer: float
    duration_s: float
    seconds: float
    dropped_segments: int


def espeak_clip(text: str, voice: str = "ko") -> tuple[NDArray[np.float32], int]:
    """Synthesize `text` with espeak-ng; returns (samples, sample_rate)."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise FileNotFoundError("espeak-ng is not installed (apt-get install espeak-ng)")
    wav = subprocess.run(
        [binary, "-v", voice, "--stdout", text], check=True, capture_output=True, timeout=60
    ).stdout
    with wave.open(io.BytesIO(wav), "rb") as reader:
        rate = reader.getframerate()
        # espeak-ng writes a streaming header with a bogus length: read to the end instead.
        raw = reader.readframes(reader.getnframes())
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0, rate


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
