"""SSE parsing, streamed deltas and stream token accounting, over a fake transport."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from services.config.settings import LlmDialect, LlmSettings
from services.llm.client import ChatMessage, OpenAICompatibleClient
from services.llm.errors import LlmHttpError
from services.llm.sse import iter_sse_data
from services.llm.usage import TokenUsage, UsageLedger

MESSAGES: list[ChatMessage] = [{"role": "user", "content": "안녕하세요"}]


def sse(*events: object) -> bytes:
    lines = [": ping\n\n"]
    for event in events:
        data = event if isinstance(event, str) else json.dumps(event, ensure_ascii=False)
        lines.append(f"data: {data}\r\n\r\n")
    return "".join(lines).encode()


def delta(text: str) -> dict[str, object]:
    return {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}


async def collect(lines: list[str]) -> list[str]:
    async def source() -> AsyncIterator[str]:
        for line in lines:
            yield line

    return [data async for data in iter_sse_data(source())]


def test_sse_joins_multiline_data_and_skips_comments_and_fields() -> None:
    lines = [": keepalive", "event: message", "id: 3", "data: a", "data:b", "", "data: last"]
    assert asyncio.run(collect(lines)) == ["a\nb", "last"]


def stream_client(body: bytes, dialect: LlmDialect) -> tuple[OpenAICompatibleClient, list[dict]]:
    sent: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    settings = LlmSettings(base_url="http://llm.test/v1", dialect=dialect)
    return OpenAICompatibleClient(settings, transport=httpx.MockTransport(handler)), sent


async def consume(client: OpenAICompatibleClient, **kwargs: str) -> list[str]:
    return [d async for d in client.stream_text(MESSAGES, **kwargs)]


def test_vllm_stream_yields_deltas_and_records_the_usage_chunk() -> None:
    body = sse(
        {"choices": [{"index": 0, "delta": {"role": "assistant"}}]},
        delta("네, "),
        delta("고객님."),
        {"choices": [], "usage": {"prompt_tokens": 21, "completion_tokens": 3}},
        "[DONE]",
    )
    client, sent = stream_client(body, LlmDialect.VLLM)
    assert asyncio.run(consume(client, call_id="c1", node="chat")) == ["네, ", "고객님."]
    assert sent[0]["stream"] is True
    assert sent[0]["stream_options"] == {"include_usage": True}
    totals = client.ledger.total(call_id="c1")
    assert (totals.prompt_tokens, totals.completion_tokens, totals.estimated_calls) == (21, 3, 0)


def test_llama_cpp_stream_counts_deltas_when_no_usage_arrives() -> None:
    body = sse(delta("요"), delta("금"), delta("이"), "[DONE]")
    client, sent = stream_client(body, LlmDialect.LLAMA_CPP)
    assert "".join(asyncio.run(consume(client, node="chat"))) == "요금이"
    assert "stream_options" not in sent[0]
    totals = client.ledger.total(node="chat")
    assert (totals.completion_tokens, totals.estimated_calls) == (3, 1)


def test_stream_error_status_raises_before_any_delta() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, text="bad")

    settings = LlmSettings(base_url="http://llm.test/v1")
    client = OpenAICompatibleClient(settings, transport=httpx.MockTransport(handler))
    with pytest.raises(LlmHttpError):
        asyncio.run(consume(client))


def test_ledger_sums_by_call_and_node_and_forgets_a_call() -> None:
    ledger = UsageLedger()
    ledger.record(call_id="a", node="intent", usage=TokenUsage(10, 2))
    ledger.record(call_id="a", node="summary", usage=TokenUsage(100, 50))
    ledger.record(call_id="b", node="intent", usage=TokenUsage(12, 3, exact=False))
    assert ledger.total(call_id="a").total_tokens == 162
    assert ledger.total(node="intent").prompt_tokens == 22
    assert ledger.total(node="intent").estimated_calls == 1
    assert set(ledger.by_node(call_id="a")) == {"intent", "summary"}
    assert ledger.total().calls == 3
    assert ledger.forget("a").calls == 2
    assert ledger.total(call_id="a").calls == 0
    assert ledger.total(node="summary").calls == 1  # node totals are kept
    assert TokenUsage.from_openai({"prompt_tokens": "x"}) is None


def test_error_event_inside_a_stream_raises() -> None:
    from services.llm.errors import LlmBadResponseError

    body = sse(delta("네"), {"error": {"message": "engine died", "code": 500}})
    client, _ = stream_client(body, LlmDialect.VLLM)
    with pytest.raises(LlmBadResponseError, match="engine died"):
        asyncio.run(consume(client))
    assert client.ledger.total().completion_tokens == 1  # what did arrive is still counted
