"""Call arrival schedules (seconds from the start of a run): Poisson, bursts, a diurnal day.

All shapes are non-homogeneous Poisson processes drawn by thinning (Lewis and Shedler) from
a seeded `random.Random`, so a seed always gives the same schedule.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

__all__ = [
    "CALL_CENTER_DAY",
    "burst_arrivals",
    "diurnal_arrivals",
    "diurnal_rate",
    "poisson_arrivals",
    "rate_arrivals",
]

# Relative call volume per hour (0-23) of a Korean carrier call center: quiet at night,
# a morning peak after opening, a lunch dip, an afternoon peak, falling off in the evening.
CALL_CENTER_DAY: tuple[float, ...] = (
    0.05, 0.03, 0.02, 0.02, 0.02, 0.04, 0.1, 0.3, 0.65, 0.95, 1.0, 0.9,
    0.7, 0.85, 0.95, 0.9, 0.8, 0.65, 0.45, 0.3, 0.22, 0.16, 0.1, 0.07,
)  # fmt: skip


def rate_arrivals(
    rate: Callable[[float], float], peak_rate: float, duration_s: float, *, seed: int
) -> list[float]:
    """Arrival times of a Poisson process with time-varying `rate` (calls/s) <= `peak_rate`."""
    if peak_rate <= 0 or duration_s <= 0:
        return []
    rng = random.Random(seed)
    times: list[float] = []
    t = 0.0
    while True:
        t += rng.expovariate(peak_rate)
        if t >= duration_s:
            return times
        if rng.random() * peak_rate <= rate(t):
            times.append(t)


def poisson_arrivals(rate_per_s: float, duration_s: float, *, seed: int) -> list[float]:
    """Homogeneous Poisson arrivals at `rate_per_s` calls per second."""
    return rate_arrivals(lambda _t: rate_per_s, rate_per_s, duration_s, seed=seed)


def burst_arrivals(
    base_rate: float,
    burst_rate: float,
    duration_s: float,
    *,
    bursts: Sequence[tuple[float, float]],
    seed: int,
) -> list[float]:
    """Poisson at `base_rate`, jumping to `burst_rate` inside each (start_s, length_s) burst.

    Models an outage notice or a billing-cycle SMS sending everyone to the phone at once.
    """

    def rate(t: float) -> float:
        inside = any(start <= t < start + length for start, length in bursts)
        return burst_rate if inside else base_rate

    return rate_arrivals(rate, max(base_rate, burst_rate), duration_s, seed=seed)


def diurnal_rate(
    t: float, *, peak_rate: float, day_s: float, curve: Sequence[float] = CALL_CENTER_DAY
) -> float:
    """The rate at `t` on a day compressed to `day_s` seconds, interpolating hourly weights."""
    hours = len(curve)
    position = (t % day_s) / day_s * hours
    low = math.floor(position) % hours
    frac = position - math.floor(position)
    weight = curve[low] * (1 - frac) + curve[(low + 1) % hours] * frac
    return peak_rate * weight / max(curve)


def diurnal_arrivals(
    peak_rate: float,
    duration_s: float,
    *,
    day_s: float = 86_400.0,
    start_hour: float = 0.0,
    curve: Sequence[float] = CALL_CENTER_DAY,
    seed: int,
) -> list[float]:
    """Arrivals following a call-center day; `day_s` compresses 24 h for a load test."""
    offset = start_hour / 24 * day_s

    def rate(t: float) -> float:
        return diurnal_rate(t + offset, peak_rate=peak_rate, day_s=day_s, curve=curve)

    return rate_arrivals(rate, peak_rate, duration_s, seed=seed)
