"""Circuit breaker: stop calling a server that keeps failing, probe it again after a pause."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum

__all__ = ["BreakerState", "CircuitBreaker"]


class BreakerState(StrEnum):
    """Closed lets calls through, open refuses them, half-open lets one probe through."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Opens after `failure_threshold` consecutive failures; half-opens `reset_after_s` later.

    In half-open state exactly one call (the probe) is admitted; its success closes the
    breaker, its failure opens it for another `reset_after_s`. Thread-safe; the clock is
    injected (monotonic seconds) so tests control time.
    """

    def __init__(
        self,
        *,
        failure_threshold: int,
        reset_after_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or reset_after_s <= 0:
            raise ValueError("failure_threshold must be >= 1 and reset_after_s > 0")
        self._threshold = failure_threshold
        self._reset_after_s = reset_after_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probe_in_flight = False

    @property
    def state(self) -> BreakerState:
        """The state at this instant (open turns half-open once the pause is over)."""
        with self._lock:
            return self._state_locked()

    @property
    def consecutive_failures(self) -> int:
        """Failures since the last success."""
        with self._lock:
            return self._failures

    def allow(self) -> bool:
        """Whether a call may go out now; in half-open state this claims the single probe."""
        with self._lock:
            state = self._state_locked()
            if state is BreakerState.CLOSED:
                return True
            if state is BreakerState.HALF_OPEN and not self._probe_in_flight:
                self._probe_in_flight = True
                return True
            return False

    def record_success(self) -> None:
        """The server answered: close the breaker and forget past failures."""
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probe_in_flight = False

    def record_failure(self) -> None:
        """The server failed: count it, and open (or re-open) the breaker when due."""
        with self._lock:
            self._failures += 1
            was_probe = self._probe_in_flight
            self._probe_in_flight = False
            if was_probe or self._failures >= self._threshold:
                self._opened_at = self._clock()

    def release(self) -> None:
        """A call ended without a verdict on the server (cancelled): free the probe slot."""
        with self._lock:
            self._probe_in_flight = False

    def _state_locked(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self._reset_after_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN
