import wave
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly

from services.asr import StreamingResampler, float_to_pcm16, pcm16_to_float, read_wav, resample


def _peak_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])


def test_pcm16_round_trip_and_clipping() -> None:
    x = np.array([0.0, 0.5, -0.5, 0.99997, -1.0], dtype=np.float32)
    assert np.allclose(pcm16_to_float(float_to_pcm16(x)), x, atol=1 / 32768)
    # out-of-range input clips rather than wrapping to the other sign
    assert pcm16_to_float(float_to_pcm16(np.array([1.5, -1.5])))[0] > 0.99
    assert pcm16_to_float(float_to_pcm16(np.array([1.5, -1.5])))[1] == -1.0


def test_8k_tone_keeps_its_frequency_at_16k() -> None:
    t = np.arange(8000) / 8000
    tone = 0.5 * np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    up = resample(tone, 8000, 16000)
    assert len(up) == 16000
    assert _peak_hz(up, 16000) == pytest.approx(1000, abs=2)
    # nothing mirrored above the old Nyquist: the anti-imaging filter removed the 7 kHz image
    spectrum = np.abs(np.fft.rfft(up))
    freqs = np.fft.rfftfreq(len(up), 1 / 16000)
    assert spectrum[(freqs > 6500) & (freqs < 7500)].max() < 1e-3 * spectrum.max()


def test_downsampling_filters_what_does_not_fit() -> None:
    t = np.arange(48000) / 48000
    x = np.sin(2 * np.pi * 500 * t) + np.sin(2 * np.pi * 12000 * t)  # 12 kHz must not alias
    down = resample(x.astype(np.float32), 48000, 16000)
    spectrum = np.abs(np.fft.rfft(down))
    freqs = np.fft.rfftfreq(len(down), 1 / 16000)
    assert (
        spectrum[np.argmin(np.abs(freqs - 4000))] < 1e-2 * spectrum[np.argmin(np.abs(freqs - 500))]
    )


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 44100, 48000, 16000])
def test_streaming_resampler_matches_whole_signal(rate: int) -> None:
    rng = np.random.default_rng(rate)
    x = rng.standard_normal(rate).astype(np.float32)
    whole = resample_poly(x, *_ratio(rate)) if rate != 16000 else x
    stream = StreamingResampler(rate)
    parts, i = [], 0
    while i < len(x):
        n = int(rng.integers(1, rate // 4))
        parts.append(stream.push(x[i : i + n]))
        i += n
    parts.append(stream.flush())
    out = np.concatenate(parts)
    assert len(out) >= len(whole)
    assert np.allclose(out[: len(whole)], whole, atol=1e-5)


def _ratio(rate: int) -> tuple[int, int]:
    from math import gcd

    g = gcd(rate, 16000)
    return 16000 // g, rate // g


def test_read_wav_mixes_stereo_down(tmp_path: Path) -> None:
    left = np.full(100, 1000, dtype="<i2")
    right = np.full(100, 3000, dtype="<i2")
    path = tmp_path / "stereo.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.stack([left, right], axis=1).tobytes())
    samples, rate = read_wav(path)
    assert rate == 8000 and samples.shape == (100,)
    assert samples[0] == pytest.approx(2000 / 32768)
