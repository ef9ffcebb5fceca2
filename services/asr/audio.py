"""PCM16 <-> float32, anti-aliased polyphase resampling (whole and streaming), WAV reading."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.signal import resample_poly

__all__ = [
    "WHISPER_RATE",
    "StreamingResampler",
    "float_to_pcm16",
    "pcm16_to_float",
    "read_wav",
    "resample",
]

WHISPER_RATE = 16_000

Samples = NDArray[np.float32]


def pcm16_to_float(pcm: bytes) -> Samples:
    """Little-endian signed 16-bit mono bytes to float32 in [-1, 1)."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def float_to_pcm16(samples: NDArray[np.floating]) -> bytes:
    """Float samples to little-endian PCM16, clipping instead of wrapping around."""
    scaled = np.clip(np.round(np.asarray(samples, dtype=np.float64) * 32768.0), -32768, 32767)
    return scaled.astype("<i2").tobytes()


def resample(samples: NDArray[np.floating], src_rate: int, dst_rate: int = WHISPER_RATE) -> Samples:
    """Resample a whole signal with scipy's polyphase FIR (Kaiser window, anti-aliasing)."""
    up, down = _ratio(src_rate, dst_rate)
    if up == down:
        return np.asarray(samples, dtype=np.float32)
    return np.asarray(resample_poly(samples, up, down), dtype=np.float32)


def read_wav(path: str | Path) -> tuple[Samples, int]:
    """Read a PCM WAV (8/16/24/32-bit integer), mixing channels down to mono."""
    with wave.open(str(path), "rb") as wav:
        width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
        raw = wav.readframes(wav.getnframes())
    if width == 1:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 3:
        bytes3 = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
        ints = (bytes3[:, 0].astype(np.int32) | (bytes3[:, 1].astype(np.int32) << 8)
                | (bytes3[:, 2].astype(np.int32) << 16))
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        data = ints.astype(np.float32) / float(1 << 23)
    elif width == 4:
        data = np.frombuffer(raw, dtype="<i4").astype(np.float32) / float(1 << 31)
    else:
        raise ValueError(f"{path}: unsupported sample width {width}")
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return data.astype(np.float32), rate


def _ratio(src_rate: int, dst_rate: int) -> tuple[int, int]:
    g = math.gcd(src_rate, dst_rate)
    return dst_rate // g, src_rate // g


class StreamingResampler:
    """Chunk-by-chunk resampling that matches `resample()` of the whole signal.

    Each block is resampled with enough input context on both sides to cover scipy's
    filter, and block starts stay on the output grid, so chunk boundaries add no clicks.
    The price is a hold-back of `context` input samples (1.3 ms at 8 kHz) until more
    audio or `flush()` arrives.
    """

    def __init__(self, src_rate: int, dst_rate: int = WHISPER_RATE) -> None:
        self.src_rate, self.dst_rate = src_rate, dst_rate
        self._up, self._down = _ratio(src_rate, dst_rate)
        # scipy's default filter half-length is 10 * max(up, down) taps at the upsampled rate.
        half = math.ceil(10 * max(self._up, self._down) / self._up) + 1
        self._context = math.ceil(half / self._down) * self._down
        self._buffer = np.zeros(self._context, dtype=np.float32)  # zeros = signal start
        self._done = self._context  # buffer index of the first input sample not yet emitted

    def push(self, samples: NDArray[np.floating]) -> Samples:
        """Add input samples; return every output sample that is now final."""
        if self._up == self._down:
            return np.asarray(samples, dtype=np.float32)
        self._buffer = np.concatenate([self._buffer, np.asarray(samples, dtype=np.float32)])
        end = len(self._buffer) - self._context
        end -= (end - self._done) % self._down
        return self._emit(end, pad=0)

    def flush(self) -> Samples:
        """Emit the held-back tail as if the signal ended with silence."""
        if self._up == self._down:
            return np.zeros(0, dtype=np.float32)
        end = len(self._buffer)
        pad = (-(end - self._done)) % self._down
        return self._emit(end, pad=pad)

    def _emit(self, end: int, pad: int) -> Samples:
        if end <= self._done:
            return np.zeros(0, dtype=np.float32)
        window = self._buffer[self._done - self._context : end + self._context]
        tail = self._context + pad - (len(self._buffer) - end)
        if tail > 0:
            window = np.concatenate([window, np.zeros(tail, dtype=np.float32)])
        out = resample_poly(window, self._up, self._down)
        first = self._context * self._up // self._down
        count = (end + pad - self._done) * self._up // self._down
        self._done = end + pad
        self._buffer = self._buffer[self._done - self._context :]
        self._done = self._context
        return np.asarray(out[first : first + count], dtype=np.float32)
