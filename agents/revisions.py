"""The model stage's logic: turn one ModelRequest into a new revision, or say why not.

Pure over the ChatModel port. The rules' result rides in the request, so the answer is
that result with the model's wording in the few fields a model may write; every number,
amount, decision and money-moving intent stays the rules'. A rejected answer is not an
error: the rules' revision simply stays the latest.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from agents.domain import Intent, IntentTier, RevisionSource
from agents.intents.tiered import LLM_CANDIDATES
from agents.model_checks import decision_contradiction, numbers_outside, pii_in, polite_problem
from agents.ports import ChatModel, ModelReply, ModelUnavailable
from agents.prompts.explanation import (
    EXPLANATION_MAX_TOKENS,
    EXPLANATION_SYSTEM,
    Explanation,
    explanation_user,
)
from agents.prompts.intent import INTENT_SYSTEM_PROMPT, IntentChoice, intent_user
from agents.prompts.summary import SUMMARY_MAX_TOKENS, SUMMARY_SYSTEM, SummaryDraft, summary_user
from services.schemas import CallInsight, CallSummary, ModelRequest, ModelTask

__all__ = ["Rejected", "Revised", "revise", "revision_message_id"]

_SENTIMENT = {"positive": "긍정적입니다.", "neutral": "중립적입니다.", "negative": "부정적입니다."}
_IDS = uuid.UUID("5f0c1c2e-7a51-4b7e-9d1a-6c0d2b8e4f31")
_MONEY_INTENTS = {Intent.BILLING_DISPUTE}


@dataclass(frozen=True, slots=True)
class Revised:
    """The new revision to publish and what the model spent on it."""

    message: CallInsight | CallSummary
    prompt_tokens: int
    completion_tokens: int

    @property
    def tokens(self) -> int:
        """Prompt and completion tokens together."""
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class Rejected:
    """No revision: the model was unavailable or its answer broke a rule (`reason`)."""

    reason: str
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def tokens(self) -> int:
        """Prompt and completion tokens together (0 when the model never answered)."""
        return self.prompt_tokens + self.completion_tokens


def revision_message_id(request: ModelRequest) -> str:
    """The answer's id: the same for every answer to the same request (redelivery-safe)."""
    return uuid.uuid5(_IDS, f"{request.message_id}:r{request.revision}").hex


def revise(request: ModelRequest, chat: ChatModel, *, now: datetime) -> Revised | Rejected:
    """Ask the model for this request's wording and check it against the rules."""
    try:
        if request.task is ModelTask.SUMMARY:
            return _summary(request, chat, now)
        if request.task is ModelTask.EXPLANATION:
            return _explanation(request, chat, now)
        return _intent(request, chat, now)
    except ModelUnavailable as error:
        return Rejected(error.reason)


def _summary(request: ModelRequest, chat: ChatModel, now: datetime) -> Revised | Rejected:
    rules = request.summary
    assert rules is not None  # the schema guarantees it for a summary request
    reply = chat.structured(node="model_stage.summary", system=SUMMARY_SYSTEM,
                            user=summary_user(facts=request.facts, transcript=request.transcript),
                            schema=SummaryDraft, max_tokens=SUMMARY_MAX_TOKENS)
    draft, tokens = reply.value, _tokens(reply)
    if not isinstance(draft, SummaryDraft):
        return Rejected("schema_mismatch", *tokens)
    texts = (draft.summary, draft.customer_request)
    outcome = rules.dispute.outcome if rules.dispute else None
    reason = ("pii" if pii_in(texts) else polite_problem(draft.summary)
              or numbers_outside(" ".join(texts), facts=request.facts,
                                 transcript=request.transcript)
              or decision_contradiction(" ".join(texts), outcome))
    if reason:
        return Rejected(reason, *tokens)
    revised = rules.model_copy(update={
        "message_id": revision_message_id(request), "occurred_at": now,
        "summary": draft.summary, "customer_request": draft.customer_request,
        "sentiment": _SENTIMENT[draft.sentiment], "source": RevisionSource.MODEL,
        "fallback_reason": None, "revision": request.revision, "model_tokens": sum(tokens)})
    return Revised(CallSummary.model_validate(revised.model_dump()), *tokens)


def _explanation(request: ModelRequest, chat: ChatModel, now: datetime) -> Revised | Rejected:
    insight = request.insight
    assert insight is not None and insight.dispute is not None
    dispute = insight.dispute
    reply = chat.structured(
        node="model_stage.explanation", system=EXPLANATION_SYSTEM, schema=Explanation,
        max_tokens=EXPLANATION_MAX_TOKENS,
        user=explanation_user(outcome=dispute.outcome.value, rule=dispute.rule,
                              amount_krw=dispute.amount_krw, facts=request.facts,
                              draft=dispute.explanation))
    worded, tokens = reply.value, _tokens(reply)
    if not isinstance(worded, Explanation):
        return Rejected("schema_mismatch", *tokens)
    facts = f"{dispute.explanation}\n{request.facts}\n{dispute.amount_krw}원"
    reason = ("pii" if pii_in([worded.text]) else polite_problem(worded.text)
              or numbers_outside(worded.text, facts=facts)
              or decision_contradiction(worded.text, dispute.outcome))
    if reason:
        return Rejected(reason, *tokens)
    assist = [worded.text if line == dispute.explanation else line for line in insight.assist]
    return _revised_insight(request, insight, now, tokens, assist=assist,
                            dispute=dispute.model_copy(update={"explanation": worded.text}))


def _intent(request: ModelRequest, chat: ChatModel, now: datetime) -> Revised | Rejected:
    insight = request.insight
    assert insight is not None
    if insight.intent in _MONEY_INTENTS or insight.dispute is not None:
        return Rejected("money_intent_from_code")
    candidates = tuple(request.candidates[:LLM_CANDIDATES])
    reply = chat.structured(node="model_stage.intent", system=INTENT_SYSTEM_PROMPT,
                            user=intent_user(request.transcript, candidates=candidates),
                            schema=IntentChoice, max_tokens=24)
    choice, tokens = reply.value, _tokens(reply)
    if not isinstance(choice, IntentChoice):
        return Rejected("schema_mismatch", *tokens)
    if choice.intent in _MONEY_INTENTS:
        return Rejected("money_intent_from_code", *tokens)
    if candidates and choice.intent not in candidates:
        return Rejected(f"llm_outside_top{LLM_CANDIDATES}", *tokens)
    if choice.intent is insight.intent:
        return Rejected("same_as_rules", *tokens)
    return _revised_insight(request, insight, now, tokens, intent=choice.intent,
                            intent_tier=IntentTier.LLM)


def _revised_insight(request: ModelRequest, insight: CallInsight, now: datetime,
                     tokens: tuple[int, int], **changes: object) -> Revised:
    revised = insight.model_copy(update={
        "message_id": revision_message_id(request), "occurred_at": now,
        "source": RevisionSource.MODEL, "revision": request.revision, "model_tokens": sum(tokens),
        **changes})
    return Revised(CallInsight.model_validate(revised.model_dump()), *tokens)


def _tokens(reply: ModelReply) -> tuple[int, int]:
    return reply.prompt_tokens, reply.completion_tokens
