"""Per-node time budgets, streamed replies that can be abandoned, llama.cpp-safe patterns."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from llama_cpp.llama_grammar import json_schema_to_gbnf
from pydantic import BaseModel

from agents.ports import ModelUnavailable
from agents.prompts.claim import ClaimExtraction
from agents.prompts.explanation import Explanation
from agents.prompts.intent import IntentChoice
from agents.prompts.summary import SummaryDraft
from services.config.settings import LlmDialect, LlmSettings, Settings
from services.llm.chat_model import LlmChatModel
from services.llm.client import OpenAICompatibleClient
from services.llm.dialects import (
    llama_cpp_schema,
    structured_output_fields,
    without_digit_escapes,
)
from services.llm.embedded import EmbeddedLlmServer
from services.llm.errors import LlmTimeoutError
from services.llm.sync import SyncLlmClient

PROMPT_SCHEMAS: list[type[BaseModel]] = [
    IntentChoice, ClaimExtraction, Explanation, SummaryDraft,
]


class Reply(BaseModel):
    text: str


class RecordingSync(SyncLlmClient):
    """A real facade over a fake transport that remembers each call's time budget."""

    def __init__(self, settings: LlmSettings) -> None:
        def answer(_: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json={
                "choices": [{"message": {"content": '{"text": "네"}'}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 2}})

        super().__init__(OpenAICompatibleClient(settings, transport=httpx.MockTransport(answer)))
        self.budgets: list[float | None] = []

    def chat(self, *args: Any, **kwargs: Any) -> Any:
        self.budgets.append(kwargs.get("timeout_s"))
        return super().chat(*args, **kwargs)


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"^20\d{2}-(0[1-9]|1[0-2])$", r"^20[0-9]{2}-(0[1-9]|1[0-2])$"),
    (r"[\d-]+", r"[0-9-]+"),
    (r"a\.\d", r"a\.[0-9]"),
    (r"\\d", r"\\d"),  # an escaped backslash followed by d is not a digit class
])
def test_digit_escapes_become_ranges(pattern: str, expected: str) -> None:
    assert without_digit_escapes(pattern) == expected


def test_llama_cpp_fields_rewrite_nested_patterns_without_touching_the_original() -> None:
    schema = {"type": "object", "properties": {"p": {"anyOf": [
        {"type": "string", "pattern": r"^\d{4}$"}, {"type": "null"}]}}}
    fields = structured_output_fields(LlmDialect.LLAMA_CPP, name="x", schema=schema)
    sent = fields["response_format"]["schema"]
    assert sent["properties"]["p"]["anyOf"][0]["pattern"] == "^[0-9]{4}$"
    assert schema["properties"]["p"]["anyOf"][0]["pattern"] == r"^\d{4}$"  # type: ignore[index]


@pytest.mark.parametrize("schema", PROMPT_SCHEMAS, ids=lambda s: s.__name__)
def test_every_prompt_schema_becomes_a_grammar_llama_cpp_can_parse(
    schema: type[BaseModel],
) -> None:
    # llama-cpp-python turns `\d` into a literal the C++ parser rejects, which kills the
    # server; the converter's output must contain no backslash class at all.
    grammar = json_schema_to_gbnf(json.dumps(llama_cpp_schema(schema.model_json_schema())))
    assert "\\d" not in grammar


def test_each_node_gets_its_own_budget_and_others_the_default() -> None:
    settings = LlmSettings(base_url="http://llm.test/v1", timeout_s=20.0,
                           node_timeout_s={"classify_intent": 2.5, "summarize": 12.0})
    sync = RecordingSync(settings)
    model = LlmChatModel(settings, sync)
    for node in ("classify_intent", "summarize", "explain"):
        model.structured(node=node, system="s", user="u", schema=Reply)
    model.text(node="answer", system="s", user="u")
    model.close()
    assert sync.budgets == [2.5, 12.0, 20.0, 20.0]
    assert model.for_call("c9").budget_s("classify_intent") == 2.5
    capped = LlmChatModel(settings.model_copy(update={"timeout_s": 1.0}), None)
    assert capped.budget_s("summarize") == 1.0  # timeout_s stays the ceiling


def test_default_budgets_fit_a_live_call() -> None:
    budgets = LlmSettings().node_timeout_s
    assert budgets["classify_intent"] <= budgets["extract_claim"] <= budgets["summarize"]
    assert max(budgets.values()) < LlmSettings().timeout_s


def test_node_budgets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KCALL_LLM_NODE_TIMEOUT_S", '{"explain": 5}')
    assert Settings().llm.node_timeout_s == {"explain": 5.0}


def test_server_command_leaves_the_prompt_state_cache_off(tmp_path: Path) -> None:
    # llama-cpp-python's state cache copies the 262k-vocabulary logits with every state.
    assert "--cache" not in EmbeddedLlmServer(Settings()).command(tmp_path / "m.gguf", 1234)


def _sse(*events: str) -> bytes:
    return "".join(f"data: {event}\n\n" for event in events).encode()


def test_llama_cpp_chat_is_read_from_a_stream_and_counts_its_deltas() -> None:
    sent: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        body = _sse('{"choices": [{"delta": {"content": "{\\"text\\""}}]}',
                    '{"choices": [{"delta": {"content": ": \\"네\\"}"}, "finish_reason": "stop"}]}',
                    "[DONE]")
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    settings = LlmSettings(base_url="http://llm.test/v1")
    client = OpenAICompatibleClient(settings, transport=httpx.MockTransport(answer))
    with SyncLlmClient(client) as sync:
        result = sync.chat([{"role": "user", "content": "u"}], json_schema={"type": "object"})
    assert result.text == '{"text": "네"}' and result.finish_reason == "stop"
    assert (result.usage.completion_tokens, result.usage.exact) == (2, False)
    assert sent[0]["stream"] is True and sent[0]["response_format"]["type"] == "json_object"


def test_a_reply_past_its_budget_is_abandoned_and_its_stream_closed() -> None:
    closed: list[bool] = []

    async def slow_tokens() -> Any:
        try:
            yield _sse('{"choices": [{"delta": {"content": "{"}}]}')
            await asyncio.sleep(30)
            yield _sse("[DONE]")
        finally:
            closed.append(True)  # the server would see the disconnect and stop generating

    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=slow_tokens(),
                              headers={"content-type": "text/event-stream"})

    settings = LlmSettings(base_url="http://llm.test/v1", max_retries=0)
    client = OpenAICompatibleClient(settings, transport=httpx.MockTransport(answer))
    with SyncLlmClient(client) as sync, pytest.raises(LlmTimeoutError, match="after 1 deltas"):
        sync.chat([{"role": "user", "content": "u"}], timeout_s=0.2)
    assert closed == [True]
    assert client.breaker.consecutive_failures == 1


def test_streaming_can_be_turned_off_for_exact_usage() -> None:
    sent: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={
            "choices": [{"message": {"content": "네"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 7, "completion_tokens": 1}})

    settings = LlmSettings(base_url="http://llm.test/v1", stream_to_cancel=False)
    client = OpenAICompatibleClient(settings, transport=httpx.MockTransport(answer))
    with SyncLlmClient(client) as sync:
        result = sync.chat([{"role": "user", "content": "u"}])
    assert "stream" not in sent[0] and result.usage.prompt_tokens == 7 and result.usage.exact


def test_streamed_timeouts_open_the_breaker_even_though_headers_arrived() -> None:
    async def stalled() -> Any:
        yield b": ping\n\n"  # headers and a keep-alive, then nothing: the reply never comes
        await asyncio.sleep(30)

    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=stalled(), headers={"content-type": "text/event-stream"})

    settings = LlmSettings(base_url="http://llm.test/v1", max_retries=0, breaker_failures=2,
                           node_timeout_s={"explain": 0.1})
    client = OpenAICompatibleClient(settings, transport=httpx.MockTransport(answer))
    model = LlmChatModel(settings, SyncLlmClient(client))
    reasons = []
    for _ in range(3):
        with pytest.raises(ModelUnavailable) as caught:
            model.structured(node="explain", system="s", user="u", schema=Reply)
        reasons.append(caught.value.reason)
    model.close()
    assert reasons == ["timeout", "timeout", "breaker_open"]


def test_a_raw_newline_inside_a_json_string_is_still_a_valid_reply() -> None:
    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={
            "choices": [{"message": {"content": '{"text": "감면해 드리겠습니다.\n"}'},
                         "finish_reason": "stop"}]})

    settings = LlmSettings(base_url="http://llm.test/v1")
    client = OpenAICompatibleClient(settings, transport=httpx.MockTransport(answer))
    model = LlmChatModel(settings, SyncLlmClient(client))
    reply = model.structured(node="explain", system="s", user="u", schema=Reply)
    model.close()
    assert reply.value == Reply(text="감면해 드리겠습니다.\n")


def _unbounded(node: Any, path: str = "$") -> list[str]:
    """Places in a JSON schema where the grammar would let the model write without end."""
    found: list[str] = []
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "string" and not ({"enum", "const", "maxLength"} & node.keys()):
            found.append(path)
        if kind == "array" and "maxItems" not in node:
            found.append(path)
        for key, value in node.items():
            found += _unbounded(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found += _unbounded(item, f"{path}[{index}]")
    return found


@pytest.mark.parametrize("schema", PROMPT_SCHEMAS, ids=lambda s: s.__name__)
def test_every_prompt_schema_bounds_its_strings_and_arrays(schema: type[BaseModel]) -> None:
    # A small model under a grammar can loop inside an open string until max_tokens;
    # maxLength / maxItems make the grammar itself end the field.
    assert _unbounded(schema.model_json_schema()) == []


def test_a_stream_whose_last_chunk_carries_usage_is_counted_exactly() -> None:
    # The embedded server (services/llm/serve.py) ends its streams this way.
    def answer(_: httpx.Request) -> httpx.Response:
        body = _sse('{"choices": [{"delta": {"content": "네"}}]}',
                    '{"choices": [{"delta": {}, "finish_reason": "stop"}], '
                    '"usage": {"prompt_tokens": 41, "completion_tokens": 3}}',
                    "[DONE]")
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    settings = LlmSettings(base_url="http://llm.test/v1")
    client = OpenAICompatibleClient(settings, transport=httpx.MockTransport(answer))
    with SyncLlmClient(client) as sync:
        result = sync.chat([{"role": "user", "content": "u"}], call_id="c1", node="answer")
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (41, 3)
    assert result.usage.exact
    assert client.ledger.total(call_id="c1").total_tokens == 44
