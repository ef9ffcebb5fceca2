"""Retry classification, backoff, budget, concurrency and breaker of the async client."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from services.config.settings import LlmDialect, LlmSettings
from services.llm.breaker import BreakerState
from services.llm.client import ChatMessage, OpenAICompatibleClient
from services.llm.errors import (
    BreakerOpenError,
    LlmBadResponseError,
    LlmHttpError,
    LlmTimeoutError,
    LlmTransportError,
)
from services.llm.retry import RetryPolicy, parse_retry_after

MESSAGES: list[ChatMessage] = [{"role": "user", "content": "요금 문의"}]


def completion(text: str = "네, 확인해 드리겠습니다.", prompt: int = 12, done: int = 7) -> dict:
    return {
        "id": "x",
        "model": "gemma-3-270m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": prompt, "completion_tokens": done},
    }


class FakeTime:
    """Clock and sleep in one: sleeping advances the clock."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_client(
    handler: Handler,
    fake: FakeTime,
    **overrides: object,
) -> OpenAICompatibleClient:
    settings = LlmSettings(base_url="http://llm.test/v1", **overrides)  # type: ignore[arg-type]
    return OpenAICompatibleClient(
        settings,
        transport=httpx.MockTransport(handler),
        rng=random.Random(7),
        sleep=fake.sleep,
        clock=fake.clock,
    )


Handler = Callable[[httpx.Request], httpx.Response]


def scripted(*steps: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A transport handler playing `steps` in order, repeating the last one."""
    seen: list[httpx.Request] = []
    queue = list(steps)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(step, Exception):
            raise step
        return step

    return handler, seen


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retryable_statuses_are_retried_then_succeed(status: int) -> None:
    fake = FakeTime()
    handler, seen = scripted(httpx.Response(status), httpx.Response(200, json=completion()))
    client = make_client(handler, fake)
    result = asyncio.run(client.chat(MESSAGES, call_id="c1", node="answer"))
    assert result.text == "네, 확인해 드리겠습니다."
    assert result.attempts == 2 and len(seen) == 2
    assert len(fake.sleeps) == 1 and 0.0 <= fake.sleeps[0] <= 0.2


@pytest.mark.parametrize("status", [400, 401, 404, 422, 500])
def test_non_retryable_statuses_fail_at_once(status: int) -> None:
    fake = FakeTime()
    handler, seen = scripted(httpx.Response(status, text="bad request"))
    client = make_client(handler, fake)
    with pytest.raises(LlmHttpError) as caught:
        asyncio.run(client.chat(MESSAGES))
    assert caught.value.reason == f"http_{status}"
    assert len(seen) == 1 and fake.sleeps == []


def test_connect_errors_use_every_retry_then_raise() -> None:
    fake = FakeTime()
    handler, seen = scripted(httpx.ConnectError("refused"))
    client = make_client(handler, fake, max_retries=3)
    with pytest.raises(LlmTransportError):
        asyncio.run(client.chat(MESSAGES))
    assert len(seen) == 4
    ceilings = [0.2, 0.4, 0.8]
    assert all(0 <= d <= c for d, c in zip(fake.sleeps, ceilings, strict=True))


def test_read_timeouts_are_retried_as_timeouts() -> None:
    fake = FakeTime()
    handler, seen = scripted(httpx.ReadTimeout("slow"), httpx.Response(200, json=completion()))
    client = make_client(handler, fake)
    assert asyncio.run(client.chat(MESSAGES)).attempts == 2
    handler, seen = scripted(httpx.ReadTimeout("slow"))
    client = make_client(handler, fake, max_retries=0)
    with pytest.raises(LlmTimeoutError):
        asyncio.run(client.chat(MESSAGES))


def test_retry_after_header_sets_a_floor_on_the_pause() -> None:
    fake = FakeTime()
    handler, _ = scripted(
        httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json=completion())
    )
    client = make_client(handler, fake)
    asyncio.run(client.chat(MESSAGES))
    assert fake.sleeps == [2.0]


def test_no_pause_that_would_overrun_the_time_budget() -> None:
    fake = FakeTime()
    handler, seen = scripted(httpx.Response(503, headers={"Retry-After": "4"}))
    client = make_client(handler, fake, timeout_s=3.0)
    with pytest.raises(LlmHttpError):
        asyncio.run(client.chat(MESSAGES))
    assert len(seen) == 1 and fake.sleeps == []


def test_malformed_success_body_is_not_retried() -> None:
    fake = FakeTime()
    handler, seen = scripted(httpx.Response(200, text="<html>proxy</html>"))
    client = make_client(handler, fake)
    with pytest.raises(LlmBadResponseError):
        asyncio.run(client.chat(MESSAGES))
    assert len(seen) == 1


def test_breaker_opens_then_fails_fast_without_network() -> None:
    fake = FakeTime()
    handler, seen = scripted(httpx.ConnectError("refused"))
    client = make_client(handler, fake, max_retries=0, breaker_failures=3, breaker_reset_s=30)
    for _ in range(3):
        with pytest.raises(LlmTransportError):
            asyncio.run(client.chat(MESSAGES))
    assert client.breaker.state is BreakerState.OPEN
    with pytest.raises(BreakerOpenError):
        asyncio.run(client.chat(MESSAGES))
    assert len(seen) == 3  # the fourth call never reached the transport
    fake.now += 30  # half-open: one probe goes out
    with pytest.raises(LlmTransportError):
        asyncio.run(client.chat(MESSAGES))
    assert len(seen) == 4 and client.breaker.state is BreakerState.OPEN


def test_client_errors_do_not_open_the_breaker() -> None:
    fake = FakeTime()
    handler, _ = scripted(httpx.Response(422))
    client = make_client(handler, fake, breaker_failures=1)
    with pytest.raises(LlmHttpError):
        asyncio.run(client.chat(MESSAGES))
    assert client.breaker.state is BreakerState.CLOSED


def test_concurrency_is_bounded_by_the_semaphore() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, json=completion())

    async def main() -> None:
        settings = LlmSettings(base_url="http://llm.test/v1", concurrency=2)
        client = OpenAICompatibleClient(settings, transport=httpx.MockTransport(handler))
        await asyncio.gather(*(client.chat(MESSAGES) for _ in range(6)))
        await client.aclose()

    asyncio.run(main())
    assert peak == 2


def test_request_body_and_usage_ledger() -> None:
    fake = FakeTime()
    handler, seen = scripted(httpx.Response(200, json=completion(prompt=30, done=5)))
    client = make_client(handler, fake, dialect=LlmDialect.LLAMA_CPP, api_key="sekret")
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    result = asyncio.run(
        client.chat(MESSAGES, json_schema=schema, call_id="c9", node="extract_claim")
    )
    body = json.loads(seen[0].content)
    assert seen[0].url == "http://llm.test/v1/chat/completions"
    assert seen[0].headers["authorization"] == "Bearer sekret"
    assert body["response_format"] == {"type": "json_object", "schema": schema}
    assert body["model"] == "qwen2.5-coder-1.5b" and body["temperature"] == 0.0
    assert body["repeat_penalty"] == 1.1  # llama.cpp's own knob, llama_cpp dialect only
    assert result.usage.prompt_tokens == 30 and result.usage.exact
    totals = client.ledger.total(call_id="c9", node="extract_claim")
    assert (totals.calls, totals.prompt_tokens, totals.completion_tokens) == (1, 30, 5)


def test_backoff_is_full_jitter_under_a_cap() -> None:
    policy = RetryPolicy(max_retries=10, base_s=0.5, cap_s=3.0)
    rng = random.Random(1)
    error = LlmTransportError("x")
    for retries_done in range(8):
        ceiling = min(3.0, 0.5 * 2**retries_done)
        delays = [policy.delay_s(error, retries_done=retries_done, rng=rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # spread over the whole range, not a fixed step
    assert policy.should_retry(error, retries_done=9)
    assert not policy.should_retry(error, retries_done=10)
    assert not policy.should_retry(LlmHttpError(400), retries_done=0)


def test_parse_retry_after_seconds_and_dates() -> None:
    now = datetime(2025, 1, 1, 0, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 01 Jan 2025 00:00:05 GMT", now=now) == 5.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after(None) is None
