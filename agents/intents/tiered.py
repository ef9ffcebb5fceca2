"""Two-tier intent classification: the fast classifier, and the LLM only when it is unsure.

Acceptance rule for the LLM's answer (the embedded model is a 270M base model, weak and
easily swayed, so it may only arbitrate between plausible readings):

- fast confidence >= `threshold`: the LLM is not asked at all;
- otherwise the LLM is asked, with the fast tier's top 3 named as candidates, and its
  answer is accepted only if it is one of those top 3;
- when the fast confidence is below `open_floor` (the fast tier has no real opinion) any
  intent is accepted and no candidates are named;
- an unusable LLM (down, timeout, invalid output) or a rejected answer keeps the fast
  result and says why in `fallback_reason`.

The decision's confidence is always the fast tier's calibrated probability of the chosen
intent: the LLM returns no calibrated number, and inventing one would mislead the churn
and routing thresholds downstream.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.domain import Intent, IntentTier
from agents.intents.classifier import IntentClassifier, IntentPrediction
from agents.ports import ChatModel, ModelUnavailable
from agents.prompts.intent import INTENT_SYSTEM_PROMPT, IntentChoice, intent_user

__all__ = ["LLM_CANDIDATES", "OPEN_FLOOR", "IntentDecision", "classify_tiered"]

LLM_CANDIDATES = 3
OPEN_FLOOR = 0.2
_NODE = "classify_intent"


@dataclass(frozen=True)
class IntentDecision:
    """The intent the graph acts on, which tier chose it, and what each tier said."""

    intent: Intent
    confidence: float
    tier: IntentTier
    fast_intent: Intent
    fast_confidence: float
    fallback_reason: str | None = None
    llm_intent: Intent | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_latency_ms: float = 0.0


def _fast(prediction: IntentPrediction, reason: str | None = None) -> IntentDecision:
    return IntentDecision(
        intent=prediction.intent,
        confidence=prediction.confidence,
        tier=IntentTier.FAST,
        fast_intent=prediction.intent,
        fast_confidence=prediction.confidence,
        fallback_reason=reason,
    )


def classify_tiered(
    text: str,
    *,
    fast: IntentClassifier,
    chat: ChatModel | None,
    threshold: float,
    open_floor: float = OPEN_FLOOR,
) -> IntentDecision:
    """Classify one redacted utterance; see the module docstring for the LLM rule.

    Args:
        text: The utterance, PII already redacted (it may reach the LLM).
        fast: The trained fast-tier classifier.
        chat: The language model, or None when the LLM tier is off.
        threshold: Fast confidence at or above which the LLM is never asked
            (`settings.agent.intent_llm_threshold`).
        open_floor: Fast confidence below which any LLM answer is accepted.
    """
    prediction = fast.predict(text)
    if prediction.confidence >= threshold:
        return _fast(prediction)
    if chat is None:
        return _fast(prediction, "llm_disabled")
    open_choice = prediction.confidence < open_floor
    allowed = set(Intent) if open_choice else set(prediction.top(LLM_CANDIDATES))
    candidates = () if open_choice else prediction.top(LLM_CANDIDATES)
    try:
        reply = chat.structured(
            node=_NODE,
            system=INTENT_SYSTEM_PROMPT,
            user=intent_user(text, candidates=candidates),
            schema=IntentChoice,
            max_tokens=24,  # {"intent": "value_added_service"} is 12 tokens
        )
    except ModelUnavailable as error:
        return _fast(prediction, error.reason)
    choice = reply.value
    if not isinstance(choice, IntentChoice):
        return _fast(prediction, "schema_mismatch")
    probabilities = dict(prediction.ranked)
    accepted = choice.intent in allowed
    return IntentDecision(
        intent=choice.intent if accepted else prediction.intent,
        confidence=probabilities.get(choice.intent, 0.0) if accepted else prediction.confidence,
        tier=IntentTier.LLM if accepted else IntentTier.FAST,
        fast_intent=prediction.intent,
        fast_confidence=prediction.confidence,
        fallback_reason=None if accepted else f"llm_outside_top{LLM_CANDIDATES}",
        llm_intent=choice.intent,
        prompt_tokens=reply.prompt_tokens,
        completion_tokens=reply.completion_tokens,
        llm_latency_ms=reply.latency_ms,
    )
