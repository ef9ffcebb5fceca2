"""Errors of the LLM client, each with a short machine-readable `reason`.

Exception tree::

    LlmError
    ├── LlmTransportError     reason "connect_error": no connection, reset, protocol error
    ├── LlmTimeoutError       reason "timeout": an attempt or the call's budget ran out
    ├── LlmHttpError          reason "http_<status>": the server answered with an error status
    ├── LlmBadResponseError   reason "bad_response": 2xx but not a chat completion
    └── BreakerOpenError      reason "breaker_open": failing fast, no request was sent

`retryable` says whether another attempt may help: transport errors, timeouts, 429 and
502/503/504. A 400/422 is our request's fault, and llama-cpp-python answers a request it
cannot validate with 500, so 500 is not retried either.
"""

from __future__ import annotations

__all__ = [
    "BreakerOpenError",
    "LlmBadResponseError",
    "LlmError",
    "LlmHttpError",
    "LlmTimeoutError",
    "LlmTransportError",
    "RETRYABLE_STATUSES",
]

# Overload and gateway statuses: another attempt, a little later, may well succeed.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


class LlmError(Exception):
    """Base class: the call did not produce a chat completion."""

    reason = "llm_error"
    retryable = False

    def __init__(self, detail: str = "") -> None:
        super().__init__(f"{self.reason}: {detail}" if detail else self.reason)
        self.detail = detail


class LlmTransportError(LlmError):
    """The connection failed or broke before a response arrived."""

    reason = "connect_error"
    retryable = True


class LlmTimeoutError(LlmError):
    """The server did not answer within the time budget."""

    reason = "timeout"
    retryable = True


class LlmHttpError(LlmError):
    """The server answered with a non-2xx status."""

    def __init__(self, status: int, detail: str = "", *, retry_after_s: float | None = None):
        self.status = status
        self.reason = f"http_{status}"
        self.retryable = status in RETRYABLE_STATUSES
        self.retry_after_s = retry_after_s
        super().__init__(detail)


class LlmBadResponseError(LlmError):
    """A 2xx body that is not a chat completion (proxy page, truncated JSON)."""

    reason = "bad_response"


class BreakerOpenError(LlmError):
    """The circuit breaker is open; the request was not sent."""

    reason = "breaker_open"

