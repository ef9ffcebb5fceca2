"""Retry policy as pure functions: which failures to retry and how long to wait."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from services.llm.errors import LlmError, LlmHttpError

__all__ = ["RetryPolicy", "parse_retry_after"]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, as in AWS's "Exponential Backoff And Jitter".

    Attributes:
        max_retries: attempts after the first one.
        base_s: the first backoff ceiling; it doubles each retry.
        cap_s: the largest ceiling, and the largest `Retry-After` we honour.
    """

    max_retries: int = 2
    base_s: float = 0.2
    cap_s: float = 5.0

    def should_retry(self, error: LlmError, *, retries_done: int) -> bool:
        """Retry only failures another attempt may fix, and only while retries remain."""
        return error.retryable and retries_done < self.max_retries

    def delay_s(self, error: LlmError, *, retries_done: int, rng: random.Random) -> float:
        """Seconds to wait before retry number `retries_done + 1`.

        Full jitter, uniform in [0, min(cap, base * 2**n)], spreads clients that failed
        together so they do not return together; a server's `Retry-After` is a floor.
        """
        ceiling = min(self.cap_s, self.base_s * (2**retries_done))
        delay = rng.uniform(0.0, ceiling)
        if isinstance(error, LlmHttpError) and error.retry_after_s is not None:
            delay = max(delay, min(error.retry_after_s, self.cap_s))
        return delay


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())
