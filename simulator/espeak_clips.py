"""espeak-ng Korean sentences as float clips at espeak's own rate, for ASR measurements."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave

import numpy as np
from numpy.typing import NDArray

__all__ = ["ESPEAK_SENTENCES", "espeak_clip"]

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
