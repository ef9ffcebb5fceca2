"""Two-tier intent classification with a fake chat model: when the LLM is asked and believed."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from agents.intents import IntentClassifier, seed_utterances
from agents.intents.tiered import classify_tiered
from agents.ports import ModelReply, ModelUnavailable
from agents.prompts.intent import INTENT_SYSTEM_PROMPT, IntentChoice
from services.schemas import Intent, IntentTier

KEPT = {Intent.ROAMING, Intent.DATA_USAGE, Intent.MICROPAYMENT, Intent.CANCELLATION, Intent.OTHER}
TEXT = "다음 주에 일본 가는데 로밍 신청하려고요"


class FakeChat:
    """Answers with a fixed intent (or raises) and records what it was asked."""

    def __init__(self, answer: Intent | None = None, error: str | None = None) -> None:
        self.answer = answer
        self.error = error
        self.calls: list[dict[str, Any]] = []

    def structured(
        self, *, node: str, system: str, user: str, schema: type[BaseModel], max_tokens: int = 256
    ) -> ModelReply:
        self.calls.append({"node": node, "system": system, "user": user, "schema": schema})
        if self.error:
            raise ModelUnavailable(self.error)
        return ModelReply(
            value=schema.model_validate({"intent": self.answer}),
            prompt_tokens=120,
            completion_tokens=7,
        )

    def text(self, *, node: str, system: str, user: str, max_tokens: int = 256) -> ModelReply:
        raise AssertionError("the intent tier never asks for free text")


@pytest.fixture(scope="module")
def fast() -> IntentClassifier:
    examples = [ex for ex in seed_utterances() if ex.intent in KEPT]
    return IntentClassifier(calibration_folds=0).fit(
        [ex.text for ex in examples], [ex.intent for ex in examples], seed=0
    )


def test_confident_fast_tier_never_calls_the_llm(fast: IntentClassifier) -> None:
    chat = FakeChat(Intent.OTHER)
    decision = classify_tiered(TEXT, fast=fast, chat=chat, threshold=0.0)
    assert chat.calls == []
    assert decision.tier is IntentTier.FAST
    assert decision.intent is Intent.ROAMING
    assert decision.fallback_reason is None
    assert decision.prompt_tokens == 0


def test_unsure_fast_tier_asks_the_llm_with_the_intent_prompt(fast: IntentClassifier) -> None:
    second = fast.predict(TEXT).ranked[1][0]
    chat = FakeChat(second)
    decision = classify_tiered(TEXT, fast=fast, chat=chat, threshold=1.01)
    assert len(chat.calls) == 1
    call = chat.calls[0]
    assert call["node"] == "classify_intent"
    assert call["system"] == INTENT_SYSTEM_PROMPT
    assert call["schema"] is IntentChoice
    assert TEXT in call["user"] and "후보 의도" in call["user"]
    assert decision.tier is IntentTier.LLM
    assert decision.intent is second
    assert decision.fast_intent is Intent.ROAMING
    assert decision.confidence == pytest.approx(dict(fast.predict(TEXT).ranked)[second])
    assert (decision.prompt_tokens, decision.completion_tokens) == (120, 7)


def test_model_unavailable_keeps_the_fast_result_with_the_reason(fast: IntentClassifier) -> None:
    decision = classify_tiered(TEXT, fast=fast, chat=FakeChat(error="timeout"), threshold=1.01)
    assert decision.tier is IntentTier.FAST
    assert decision.intent is Intent.ROAMING
    assert decision.fallback_reason == "timeout"


def test_llm_answer_outside_the_top3_is_ignored(fast: IntentClassifier) -> None:
    outsider = fast.predict(TEXT).ranked[-1][0]
    decision = classify_tiered(TEXT, fast=fast, chat=FakeChat(outsider), threshold=1.01)
    assert decision.tier is IntentTier.FAST
    assert decision.intent is Intent.ROAMING
    assert decision.llm_intent is outsider
    assert decision.fallback_reason == "llm_outside_top3"


def test_any_llm_answer_is_accepted_when_the_fast_tier_has_no_opinion(
    fast: IntentClassifier,
) -> None:
    outsider = fast.predict(TEXT).ranked[-1][0]
    chat = FakeChat(outsider)
    decision = classify_tiered(TEXT, fast=fast, chat=chat, threshold=1.01, open_floor=1.01)
    assert decision.tier is IntentTier.LLM
    assert decision.intent is outsider
    assert "후보 의도" not in chat.calls[0]["user"]


def test_no_chat_model_below_threshold_says_so(fast: IntentClassifier) -> None:
    decision = classify_tiered(TEXT, fast=fast, chat=None, threshold=1.01)
    assert decision.tier is IntentTier.FAST
    assert decision.fallback_reason == "llm_disabled"


def test_intent_choice_schema_is_the_intent_enum() -> None:
    schema = IntentChoice.model_json_schema()
    enum = schema["$defs"]["Intent"]["enum"]
    assert set(enum) == {intent.value for intent in Intent}
    for intent in Intent:
        assert intent.value in INTENT_SYSTEM_PROMPT
