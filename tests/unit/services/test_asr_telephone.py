import numpy as np
import pytest

from simulator.telephone import PHONE_RATE, add_noise, degrade, mulaw_decode, mulaw_encode


def test_mulaw_reference_points() -> None:
    # G.711 mu-law: zero is 0xFF, full-scale positive 0x80, full-scale negative 0x00
    codes = mulaw_encode(np.array([0.0, 1.0, -1.0]))
    assert codes.tolist() == [0xFF, 0x80, 0x00]
    assert mulaw_decode(np.array([0xFF], dtype=np.uint8))[0] == 0.0
    assert mulaw_decode(np.array([0x80], dtype=np.uint8))[0] == pytest.approx(32124 / 32768)


def test_mulaw_round_trip_error_is_logarithmic() -> None:
    x = np.linspace(-0.9, 0.9, 2001)
    y = mulaw_decode(mulaw_encode(x))
    err = np.abs(y - x)
    assert err.max() < 0.035  # coarse steps only at high amplitude
    assert err[np.abs(x) < 0.01].max() < 0.001  # fine steps near zero
    assert np.all(np.diff(mulaw_decode(np.arange(128, 256, dtype=np.uint8)[::-1])) >= 0)


def test_noise_hits_the_requested_snr() -> None:
    rng = np.random.default_rng(1)
    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(PHONE_RATE * 2) / PHONE_RATE)
    noisy = add_noise(tone, 10.0, rng)
    noise = noisy - tone
    snr = 10 * np.log10(np.mean(tone**2) / np.mean(noise**2))
    assert snr == pytest.approx(10.0, abs=0.3)


def test_degrade_is_seeded_band_limited_8k() -> None:
    t = np.arange(16000) / 16000
    x = (0.3 * np.sin(2 * np.pi * 1000 * t) + 0.3 * np.sin(2 * np.pi * 100 * t)).astype(np.float32)
    a = degrade(x, 16000, snr_db=30, seed=3)
    b = degrade(x, 16000, snr_db=30, seed=3)
    c = degrade(x, 16000, snr_db=30, seed=4)
    assert len(a) == 8000 and np.array_equal(a, b) and not np.array_equal(a, c)
    spectrum = np.abs(np.fft.rfft(degrade(x, 16000, snr_db=None)))
    freqs = np.fft.rfftfreq(8000, 1 / 8000)
    # the 100 Hz hum is below the 300 Hz telephone band edge
    assert (
        spectrum[np.argmin(np.abs(freqs - 100))] < 0.1 * spectrum[np.argmin(np.abs(freqs - 1000))]
    )
