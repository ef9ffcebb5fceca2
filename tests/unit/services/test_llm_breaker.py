"""Circuit breaker states under an injected clock."""

from __future__ import annotations

import pytest

from services.llm.breaker import BreakerState, CircuitBreaker


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(clock: FakeClock, failures: int = 3, reset_s: float = 30.0) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=failures, reset_after_s=reset_s, clock=clock)


def test_opens_after_consecutive_failures_only() -> None:
    clock = FakeClock()
    breaker = make(clock)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # a success resets the count
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()


def test_half_open_admits_one_probe_and_closes_on_success() -> None:
    clock = FakeClock()
    breaker = make(clock)
    for _ in range(3):
        breaker.record_failure()
    clock.now += 29.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one probe at a time
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow() and breaker.allow()


def test_failed_probe_reopens_for_a_full_pause() -> None:
    clock = FakeClock()
    breaker = make(clock)
    for _ in range(3):
        breaker.record_failure()
    clock.now += 30
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.now += 29
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()


def test_released_probe_can_be_claimed_again() -> None:
    clock = FakeClock()
    breaker = make(clock, failures=1)
    breaker.record_failure()
    clock.now += 30
    assert breaker.allow()
    breaker.release()  # cancelled: no verdict on the server
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()


def test_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=0, reset_after_s=1)
