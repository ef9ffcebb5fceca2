"""Run one handler call with bounded retries: success, give up (DLQ), or stop requested."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pipelines.stage import Outgoing, PoisonMessage

__all__ = ["Done", "Failed", "Interrupted", "Outcome", "backoff_delay", "call_with_retries"]

log = logging.getLogger(__name__)

_MAX_BACKOFF_S = 5.0


@dataclass(frozen=True, slots=True)
class Done:
    """The handler returned outputs."""

    outputs: Sequence[Outgoing]
    attempts: int


@dataclass(frozen=True, slots=True)
class Failed:
    """The input goes to the DLQ: poison, or still failing after the last attempt."""

    error: Exception
    attempts: int


@dataclass(frozen=True, slots=True)
class Interrupted:
    """Stop was requested while waiting to retry; the input is left uncommitted."""

    error: Exception
    attempts: int


Outcome = Done | Failed | Interrupted


def backoff_delay(attempt: int, base_s: float, cap_s: float = _MAX_BACKOFF_S) -> float:
    """Delay before the retry that follows failed attempt number `attempt` (1-based)."""
    return min(cap_s, base_s * 2.0 ** (attempt - 1))


def call_with_retries(
    call: Callable[[], Sequence[Outgoing]],
    *,
    max_attempts: int,
    base_backoff_s: float,
    wait: Callable[[float], bool],
    what: str = "message",
) -> Outcome:
    """Call `call` until it succeeds, raises PoisonMessage, or runs out of attempts.

    Args:
        call: The handler call for one input.
        max_attempts: Total attempts allowed (at least 1).
        base_backoff_s: First retry delay; doubles each time, capped at 5 s.
        wait: Sleeps for the given seconds and returns True if stop was requested
            (`threading.Event.wait`), so shutdown never waits out a backoff.
        what: Describes the input in log lines.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return Done(outputs=call(), attempts=attempt)
        except PoisonMessage as error:
            return Failed(error=error, attempts=attempt)
        except Exception as error:  # any other handler fault is retried, then dead-lettered
            if attempt >= max_attempts:
                return Failed(error=error, attempts=attempt)
            delay = backoff_delay(attempt, base_backoff_s)
            log.warning(
                "%s failed (attempt %d of %d), retrying in %.2f s: %r",
                what, attempt, max_attempts, delay, error,
            )  # fmt: skip
            if wait(delay):
                return Interrupted(error=error, attempts=attempt)
