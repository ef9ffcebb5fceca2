"""The LLM adapter against a real server (the embedded llama.cpp server unless external)."""

from __future__ import annotations

import asyncio
import json
import time
from enum import StrEnum
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, field_validator

from agents.ports import ModelUnavailable
from services.config import Settings
from services.config.settings import LlmSettings
from services.llm import (
    BreakerState,
    ChatMessage,
    EmbeddedLlmServer,
    LlmChatModel,
    LlmTimeoutError,
    OpenAICompatibleClient,
    SyncLlmClient,
)
from tests.fixtures.llm import EXTERNAL_LLM, require_embedded_llm

pytestmark = pytest.mark.integration

SYSTEM = "당신은 통신사 고객센터의 분류기입니다. 고객 발화를 읽고 JSON으로만 답하십시오."
USER = "이번 달 요금에 로밍 요금이 들어가 있는데 저는 해외에 간 적이 없어요. 환불해 주세요."


class Intent(StrEnum):
    BILLING_DISPUTE = "billing_dispute"
    CANCELLATION = "cancellation"
    OTHER = "other"


class Evidence(BaseModel):
    charge_kind: Intent
    amount_krw: int
    customer_upset: bool


class Claim(BaseModel):
    """No free-text field: llama-cpp-python checks its grammar against the whole vocabulary
    (152k tokens for Qwen2.5) every step, which makes free strings slower per token."""

    intent: Intent
    evidence: Evidence


class NeverValid(BaseModel):
    """Grammar-valid JSON that our own validator always rejects."""

    intent: Intent

    @field_validator("intent")
    @classmethod
    def _reject(cls, value: Intent) -> Intent:
        raise ValueError("rejected by policy")


class Recorder(httpx.AsyncBaseTransport):
    """The real transport, counting requests and keeping their bodies."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.bodies: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append((await request.aread()).decode())
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class Audit:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def record(self, **entry: Any) -> None:
        self.entries.append(entry)


def chat_model(
    settings: LlmSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    audit: Audit | None = None,
) -> LlmChatModel:
    client = OpenAICompatibleClient(settings, transport=transport)
    return LlmChatModel(settings, SyncLlmClient(client), audit=audit, call_id="it-call")


def test_structured_output_round_trip_with_enum_and_nested_object(
    llm_settings: LlmSettings,
) -> None:
    # Non-streamed, so the server's exact usage comes back (llama.cpp streams carry none).
    model = chat_model(llm_settings.model_copy(update={"stream_to_cancel": False}))
    try:
        reply = model.structured(
            node="extract_claim", system=SYSTEM, user=USER, schema=Claim, max_tokens=160
        )
    finally:
        model.close()
    assert isinstance(reply.value, Claim)
    assert isinstance(reply.value.evidence, Evidence)
    assert reply.value.intent in set(Intent)
    assert reply.prompt_tokens > 20 and reply.completion_tokens > 5
    assert reply.latency_ms > 0


def test_text_reply(llm_settings: LlmSettings) -> None:
    model = chat_model(llm_settings)
    try:
        reply = model.text(
            node="answer", system="공손하게 답하십시오.", user="안녕하세요?", max_tokens=24
        )
    finally:
        model.close()
    assert isinstance(reply.value, str) and reply.value
    assert 0 < reply.completion_tokens <= 24


def test_streaming_yields_deltas_and_accounts_for_them(llm_settings: LlmSettings) -> None:
    messages: list[ChatMessage] = [{"role": "user", "content": "요금제 변경 방법을 알려 주세요."}]

    async def run() -> tuple[list[str], OpenAICompatibleClient]:
        async with OpenAICompatibleClient(llm_settings) as client:
            deltas = [d async for d in client.stream_text(messages, max_tokens=16, node="chat")]
            return deltas, client

    deltas, client = asyncio.run(run())
    assert len(deltas) >= 2 and all(deltas)
    totals = client.ledger.total(node="chat")
    assert totals.calls == 1 and totals.estimated_calls == 0  # the stream carried usage
    assert len(deltas) <= totals.completion_tokens <= 16
    assert totals.prompt_tokens > 5


def test_a_streamed_reply_reports_the_usage_of_the_same_reply_unstreamed(
    llm_settings: LlmSettings,
) -> None:
    # The client reads every llama.cpp reply as a stream (stream_to_cancel); its tokens must
    # be the server's own count, the same a non-streamed reply reports, never an estimate.
    messages: list[ChatMessage] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": USER},
    ]

    async def run(stream: bool) -> Any:
        settings = llm_settings.model_copy(update={"stream_to_cancel": stream})
        async with OpenAICompatibleClient(settings) as client:
            return await client.chat(messages, max_tokens=6, json_schema=Claim.model_json_schema())

    streamed, plain = asyncio.run(run(True)), asyncio.run(run(False))
    assert streamed.usage.exact and plain.usage.exact
    assert streamed.usage.prompt_tokens == plain.usage.prompt_tokens > 20
    assert streamed.usage.completion_tokens == plain.usage.completion_tokens == 6


def test_token_accounting_matches_the_server_usage(
    llm_settings: LlmSettings, llm_base_url: str
) -> None:
    messages: list[ChatMessage] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": USER},
    ]
    body = {"model": llm_settings.model, "messages": messages, "max_tokens": 8, "temperature": 0.0}
    raw = httpx.post(f"{llm_base_url}/chat/completions", json=body, timeout=60).json()["usage"]

    async def run() -> tuple[Any, Any]:
        # Exact usage comes only with non-streamed replies (llama.cpp streams carry none).
        exact = llm_settings.model_copy(update={"stream_to_cancel": False})
        async with OpenAICompatibleClient(exact) as client:
            first = await client.chat(messages, max_tokens=8, call_id="acct", node="summarize")
            second = await client.chat(messages, max_tokens=8, call_id="acct", node="summarize")
            return (first, second), client.ledger.total(call_id="acct", node="summarize")

    (first, second), totals = asyncio.run(run())
    assert first.usage.exact and first.usage.prompt_tokens == raw["prompt_tokens"]
    assert 0 < first.usage.completion_tokens <= 8 and raw["completion_tokens"] <= 8
    assert totals.calls == 2
    assert totals.prompt_tokens == first.usage.prompt_tokens + second.usage.prompt_tokens
    assert (
        totals.completion_tokens == first.usage.completion_tokens + second.usage.completion_tokens
    )
    if not EXTERNAL_LLM:
        # The Qwen2.5 GGUF's own template is ChatML; the served tokenizer counts exactly the
        # prompt tokens the server reports for it.
        prompt = (
            f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{USER}<|im_end|>\n"
            "<|im_start|>assistant\n"
        )
        tokens = httpx.post(
            llm_base_url.removesuffix("/v1") + "/extras/tokenize",
            json={"input": prompt},
            timeout=30,
        ).json()["tokens"]
        assert len(tokens) == raw["prompt_tokens"]


def test_timeout_falls_back(llm_settings: LlmSettings) -> None:
    settings = llm_settings.model_copy(update={"timeout_s": 0.05, "max_retries": 0})
    model = chat_model(settings)
    try:
        with pytest.raises(ModelUnavailable) as caught:
            model.text(node="answer", system=SYSTEM, user=USER, max_tokens=8)
    finally:
        model.close()
    assert caught.value.reason == "timeout"


def test_truncated_json_and_policy_rejections_fall_back(llm_settings: LlmSettings) -> None:
    audit = Audit()
    model = chat_model(llm_settings, audit=audit)
    try:
        with pytest.raises(ModelUnavailable) as truncated:
            model.structured(
                node="extract_claim", system=SYSTEM, user=USER, schema=Claim, max_tokens=3
            )
        with pytest.raises(ModelUnavailable) as rejected:
            model.structured(
                node="classify_intent", system=SYSTEM, user=USER, schema=NeverValid, max_tokens=24
            )
    finally:
        model.close()
    assert truncated.value.reason == "invalid_json"
    assert rejected.value.reason == "schema_mismatch"
    assert [e["detail"]["outcome"] for e in audit.entries] == ["invalid_json", "schema_mismatch"]
    assert all(e["completion_tokens"] > 0 for e in audit.entries)  # the tokens were still spent


def test_pii_is_redacted_before_the_request(llm_settings: LlmSettings) -> None:
    recorder, audit = Recorder(), Audit()
    model = chat_model(llm_settings, transport=recorder, audit=audit)
    phone, card = "010-9876-5432", "4111-1111-1111-1111"
    try:
        reply = model.text(
            node="answer",
            system="고객 정보를 참고해 답하십시오.",
            user=f"제 번호는 {phone}이고 카드는 {card}예요. 요금이 이상해요.",
            max_tokens=16,
        )
    finally:
        model.close()
    assert reply.value
    assert len(recorder.bodies) == 1
    wire = json.loads(recorder.bodies[0])
    sent = json.dumps(wire, ensure_ascii=False)
    logged = json.dumps(audit.entries, ensure_ascii=False)
    for secret in (phone, "98765432", card, "4111111111111111"):
        assert secret not in sent and secret not in logged
    assert "요금이 이상해요" in wire["messages"][1]["content"]


def breaker_state(client: OpenAICompatibleClient) -> BreakerState:
    return client.breaker.state


@pytest.mark.skipif(EXTERNAL_LLM, reason="stops and restarts its own embedded server")
def test_breaker_opens_on_a_dead_server_fails_fast_then_recovers() -> None:
    require_embedded_llm()
    settings = Settings()
    llm = settings.llm.model_copy(
        update={"breaker_failures": 3, "breaker_reset_s": 1.0, "max_retries": 0, "timeout_s": 30.0}
    )
    recorder = Recorder()
    with EmbeddedLlmServer(settings) as server:
        port = server.port
        client = OpenAICompatibleClient(llm, base_url=server.base_url, transport=recorder)
        sync = SyncLlmClient(client)
        model = LlmChatModel(llm, sync)
        assert model.text(node="answer", system="s", user="안녕하세요", max_tokens=4).value
    # The server is stopped: its port now refuses connections.
    try:
        reasons = []
        for _ in range(3):
            with pytest.raises(ModelUnavailable) as caught:
                model.text(node="answer", system="s", user="안녕하세요", max_tokens=4)
            reasons.append(caught.value.reason)
        assert reasons == ["connect_error"] * 3
        assert client.breaker.state is BreakerState.OPEN
        sent_before = len(recorder.bodies)
        with pytest.raises(ModelUnavailable) as fast:
            model.text(node="answer", system="s", user="안녕하세요", max_tokens=4)
        assert fast.value.reason == "breaker_open"
        assert len(recorder.bodies) == sent_before  # failed fast: no request went out

        with EmbeddedLlmServer(settings, port=port):
            time.sleep(1.0)  # the pause ends: the breaker admits one probe
            assert breaker_state(client) is BreakerState.HALF_OPEN
            assert model.text(node="answer", system="s", user="안녕하세요", max_tokens=4).value
            assert breaker_state(client) is BreakerState.CLOSED
    finally:
        sync.close()


def test_client_level_timeout_error_type(llm_settings: LlmSettings) -> None:
    settings = llm_settings.model_copy(update={"max_retries": 0})
    messages: list[ChatMessage] = [{"role": "user", "content": USER}]

    async def run() -> None:
        async with OpenAICompatibleClient(settings) as client:
            await client.chat(messages, max_tokens=8, timeout_s=0.05)

    with pytest.raises(LlmTimeoutError):
        asyncio.run(run())


@pytest.mark.skipif(EXTERNAL_LLM, reason="reads its own embedded server's log")
def test_a_reply_out_of_time_stops_the_generation_and_frees_the_server() -> None:
    require_embedded_llm()
    settings = Settings()
    llm = settings.llm.model_copy(update={"max_retries": 0, "timeout_s": 60.0})
    long_task = "1부터 300까지 한국어로 하나씩 세어 주세요."
    tight = llm.model_copy(update={"node_timeout_s": {"summarize": 1.0}})
    with EmbeddedLlmServer(settings) as server:
        sync = SyncLlmClient(OpenAICompatibleClient(llm, base_url=server.base_url))
        model, hurried = LlmChatModel(llm, sync), LlmChatModel(tight, sync)
        try:
            model.text(node="warmup", system="s", user=long_task, max_tokens=1)
            with pytest.raises(ModelUnavailable) as late:
                hurried.text(node="summarize", system="s", user=long_task, max_tokens=400)
            assert model.text(node="answer", system="s", user=long_task, max_tokens=2).value
        finally:
            sync.close()
        log_path = server.log_path
    assert late.value.reason == "timeout"
    assert log_path is not None
    # llama-cpp-python notices the closed stream at its next token and stops generating,
    # instead of decoding all 400 tokens while the next request waits.
    assert "Disconnected from client" in log_path.read_text(encoding="utf-8", errors="replace")
