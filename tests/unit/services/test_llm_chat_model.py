"""LlmChatModel over a fake transport: redaction on the wire, validation, fallbacks, audit."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from pydantic import BaseModel

from agents.ports import ModelUnavailable
from services.config.settings import LlmSettings, Settings
from services.llm.chat_model import LlmChatModel, build_chat_model, redacted_messages
from services.llm.client import OpenAICompatibleClient
from services.llm.sync import SyncLlmClient

PHONE = "010-2345-6789"
EMAIL = "minsu.kim@example.com"


class Intent(StrEnum):
    CANCELLATION = "cancellation"
    OTHER = "other"


class Choice(BaseModel):
    intent: Intent
    confidence: float


class Audit:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def record(self, **entry: Any) -> None:
        self.entries.append(entry)


def model_replying(content: str, audit: Audit | None = None) -> tuple[LlmChatModel, list[dict]]:
    bodies: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(
            200,
            json={
                "choices": [{"message": {"content": content}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 40, "completion_tokens": 9},
            },
        )

    settings = LlmSettings(base_url="http://llm.test/v1")
    client = OpenAICompatibleClient(settings, transport=httpx.MockTransport(handler))
    return LlmChatModel(settings, SyncLlmClient(client), audit=audit, call_id="c1"), bodies


def test_structured_reply_is_validated_and_audited() -> None:
    audit = Audit()
    model, bodies = model_replying('{"intent": "cancellation", "confidence": 0.9}', audit)
    reply = model.structured(node="classify_intent", system="분류", user="해지요", schema=Choice)
    model.close()
    assert reply.value == Choice(intent=Intent.CANCELLATION, confidence=0.9)
    assert (reply.prompt_tokens, reply.completion_tokens) == (40, 9)
    assert bodies[0]["response_format"]["type"] == "json_object"  # llama_cpp is the default
    assert bodies[0]["messages"][0]["role"] == "system"
    [entry] = audit.entries
    assert entry["call_id"] == "c1" and entry["action"] == "model_call:classify_intent"
    assert entry["detail"]["outcome"] == "ok" and entry["prompt_tokens"] == 40


def test_personal_data_never_reaches_the_wire_or_the_audit_log() -> None:
    audit = Audit()
    model, bodies = model_replying("네, 알겠습니다.", audit)
    model.text(node="answer", system=f"고객 이메일 {EMAIL}", user=f"제 번호는 {PHONE}입니다")
    model.close()
    wire = json.dumps(bodies, ensure_ascii=False)
    logged = json.dumps(audit.entries, ensure_ascii=False)
    for secret in (PHONE, "23456789", EMAIL):
        assert secret not in wire
        assert secret not in logged


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"intent": "cancel', "invalid_json"),
        ('{"intent": "refund", "confidence": 1}', "schema_mismatch"),
        ("   ", "empty"),
    ],
)
def test_unusable_structured_output_raises_model_unavailable(content: str, reason: str) -> None:
    audit = Audit()
    model, _ = model_replying(content, audit)
    before = REGISTRY.get_sample_value(
        "kcall_llm_fallbacks_total", {"node": "classify_intent", "reason": reason}
    ) or 0.0
    with pytest.raises(ModelUnavailable) as caught:
        model.structured(node="classify_intent", system="분류", user="해지요", schema=Choice)
    model.close()
    assert caught.value.reason == reason
    assert audit.entries[0]["detail"]["outcome"] == reason
    after = REGISTRY.get_sample_value(
        "kcall_llm_fallbacks_total", {"node": "classify_intent", "reason": reason}
    )
    assert after == before + 1


def test_transport_failure_becomes_model_unavailable_with_the_client_reason() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text="boom")

    settings = LlmSettings(base_url="http://llm.test/v1")
    client = OpenAICompatibleClient(settings, transport=httpx.MockTransport(handler))
    with SyncLlmClient(client) as sync:
        model = LlmChatModel(settings, sync)
        with pytest.raises(ModelUnavailable) as caught:
            model.text(node="answer", system="s", user="u")
    assert caught.value.reason == "http_500"


def test_disabled_model_never_calls_out() -> None:
    settings = Settings(llm=LlmSettings(enabled=False))
    audit = Audit()
    model = build_chat_model(settings, audit=audit)
    with pytest.raises(ModelUnavailable) as caught:
        model.text(node="answer", system="s", user="u")
    assert caught.value.reason == "disabled"
    assert model.ledger is None
    assert audit.entries[0]["detail"]["outcome"] == "disabled"


def test_enabled_model_without_a_server_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="base_url"):
        build_chat_model(Settings(llm=LlmSettings(base_url=None)))


def test_redacted_messages_for_direct_streaming() -> None:
    messages = redacted_messages(f"메일 {EMAIL}", f"번호 {PHONE}")
    assert [m["role"] for m in messages] == ["system", "user"]
    assert EMAIL not in messages[0]["content"] and PHONE not in messages[1]["content"]
