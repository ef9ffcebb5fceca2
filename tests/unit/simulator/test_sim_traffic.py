"""Arrival schedules: seeded, right rate, right shape."""

from __future__ import annotations

from simulator.traffic import (
    CALL_CENTER_DAY,
    burst_arrivals,
    diurnal_arrivals,
    diurnal_rate,
    poisson_arrivals,
)


def test_poisson_is_seeded_sorted_and_near_rate() -> None:
    times = poisson_arrivals(2.0, 1000.0, seed=1)
    assert times == poisson_arrivals(2.0, 1000.0, seed=1)
    assert times != poisson_arrivals(2.0, 1000.0, seed=2)
    assert times == sorted(times) and all(0 <= t < 1000 for t in times)
    assert 1850 < len(times) < 2150  # 2000 expected, sd about 45


def test_empty_inputs() -> None:
    assert poisson_arrivals(0.0, 100.0, seed=1) == []
    assert poisson_arrivals(1.0, 0.0, seed=1) == []


def test_bursts_concentrate_calls() -> None:
    times = burst_arrivals(0.5, 10.0, 600.0, bursts=[(100.0, 60.0)], seed=3)
    inside = [t for t in times if 100 <= t < 160]
    outside = [t for t in times if not 100 <= t < 160]
    assert 500 < len(inside) < 700  # 600 expected
    assert 220 < len(outside) < 330  # 270 expected


def test_diurnal_peaks_in_business_hours() -> None:
    day = 2400.0  # one simulated hour = 100 s
    times = diurnal_arrivals(5.0, day, day_s=day, seed=4)
    night = [t for t in times if t < 500]  # 00:00-05:00
    morning = [t for t in times if 900 <= t < 1100]  # 09:00-11:00
    assert len(morning) > 5 * max(len(night), 1)
    assert diurnal_rate(10 * 100, peak_rate=5.0, day_s=day) == 5.0 * CALL_CENTER_DAY[10]
