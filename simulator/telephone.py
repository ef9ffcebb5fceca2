"""Telephone-band degradation for evaluation: 8 kHz, 300-3400 Hz, line noise, G.711 mu-law."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.signal import butter, resample_poly, sosfilt

__all__ = ["PHONE_RATE", "degrade", "add_noise", "mulaw_decode", "mulaw_encode"]

PHONE_RATE = 8_000

# G.711 mu-law segment ends on the 14-bit magnitude (ITU-T G.711, as in Sun's g711.c).
_SEG_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF], dtype=np.int32)
_BIAS = 0x84
_CLIP = 8159


def mulaw_encode(samples: NDArray[np.floating]) -> NDArray[np.uint8]:
    """Float samples in [-1, 1] to G.711 mu-law bytes (bit-exact with the reference coder)."""
    pcm = np.clip(np.round(np.asarray(samples, dtype=np.float64) * 32768.0), -32768, 32767)
    val = pcm.astype(np.int32) >> 2
    mask = np.where(val < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(val), _CLIP) + (_BIAS >> 2)
    seg = np.searchsorted(_SEG_END, mag, side="left")
    code = (seg << 4) | ((mag >> (seg + 1)) & 0xF)
    code = np.where(seg >= 8, 0x7F, code)
    return ((code ^ mask) & 0xFF).astype(np.uint8)


def mulaw_decode(codes: NDArray[np.uint8]) -> NDArray[np.float32]:
    """G.711 mu-law bytes to float samples."""
    u = (~codes.astype(np.int32)) & 0xFF
    t = (((u & 0x0F) << 3) + _BIAS) << ((u & 0x70) >> 4)
    pcm = np.where(u & 0x80, _BIAS - t, t - _BIAS)
    return (pcm / 32768.0).astype(np.float32)


def add_noise(
    samples: NDArray[np.floating], snr_db: float, rng: np.random.Generator, rate: int = PHONE_RATE
) -> NDArray[np.float32]:
    """White noise at `snr_db` relative to the active (non-silent) speech level."""
    x = np.asarray(samples, dtype=np.float64)
    frame = max(rate // 50, 1)  # 20 ms
    usable = len(x) // frame * frame
    if usable == 0:
        return x.astype(np.float32)
    energy = (x[:usable].reshape(-1, frame) ** 2).mean(axis=1)
    active = energy[energy > energy.max() * 1e-3]  # within 30 dB of the loudest frame
    level = float(active.mean()) if active.size else 0.0
    noise = rng.standard_normal(len(x)) * math.sqrt(level / 10 ** (snr_db / 10))
    return (x + noise).astype(np.float32)


def degrade(
    samples: NDArray[np.floating],
    sample_rate: int,
    *,
    snr_db: float | None = 20.0,
    seed: int = 0,
) -> NDArray[np.float32]:
    """A phone line: resample to 8 kHz, 300-3400 Hz band, line noise, mu-law round trip.

    Returns 8 kHz float32 samples; the same input and seed always give the same output.
    """
    g = math.gcd(sample_rate, PHONE_RATE)
    x = resample_poly(np.asarray(samples, dtype=np.float64), PHONE_RATE // g, sample_rate // g)
    band = butter(4, [300, 3400], btype="bandpass", fs=PHONE_RATE, output="sos")
    x = sosfilt(band, x)
    if snr_db is not None:
        x = add_noise(x, snr_db, np.random.default_rng(seed))
    return mulaw_decode(mulaw_encode(np.clip(x, -1.0, 1.0)))
