"""Nodes: classify the intent (fast tier, LLM tier when unsure) and route the turn."""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime

from agents.domain import Intent, IntentTier
from agents.graph.context import AgentContext
from agents.graph.nodes._common import note, today
from agents.graph.state import CallState, IntentHit
from agents.intents.tiered import classify_tiered
from agents.policies.claims import extract_claim_rules, states_a_wrong_charge

_CHURN_INTENTS = frozenset({Intent.CANCELLATION, Intent.PORT_OUT})
# A short follow-up ("네, 이월 요금이요") of a dispute keeps the dispute going when the
# classifier has nothing better to say about it.
_CARRY_OVER_FROM = frozenset({Intent.BILLING_DISPUTE})


def classify_intent(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Label the customer utterance; record the tier used and any LLM fallback."""
    context = runtime.context
    text = state.get("normalized", "")
    limits = context.limits
    # Above 1.0 no calibrated confidence is "sure": the no-routing baseline asks every time.
    threshold = 2.0 if limits.llm_for_everything else limits.intent_llm_threshold
    decision = classify_tiered(text, fast=context.intents, chat=context.chat_model,
                               threshold=threshold)
    intent, confidence = Intent(str(decision.intent)), float(decision.confidence)
    tier = IntentTier(str(decision.tier))
    previous = _last_intent(state)
    claim = extract_claim_rules(text, today=today(context))
    if intent is Intent.OTHER and previous in _CARRY_OVER_FROM and claim is not None:
        intent = previous
    elif intent not in _CHURN_INTENTS and states_a_wrong_charge(claim):
        # "소액결제가 이중으로 나갔어요" splits the classifier between micropayment and
        # dispute; a charge said plainly to be wrong is a dispute, whatever it names.
        intent = Intent.BILLING_DISPUTE
    update: CallState = {
        "intent": intent.value, "intent_confidence": confidence, "intent_tier": tier.value,
        "intents": [IntentHit(seq=state.get("seq", -1), intent=intent.value,
                              confidence=confidence, tier=tier.value)],
    }
    if decision.fallback_reason:
        update["fallbacks"] = [note(state, "classify_intent", str(decision.fallback_reason))]
    if tier is IntentTier.LLM or decision.prompt_tokens:
        context.audit.record(call_id=state.get("call_id", ""), actor="model:classify_intent",
                             action="reply", detail={"intent": intent.value},
                             prompt_tokens=int(decision.prompt_tokens),
                             completion_tokens=int(decision.completion_tokens))
    return update


def route_speaker(state: CallState) -> Literal["classify_intent", "emit"]:
    """Customer turns are analysed; agent turns are only recorded (redacted, then emitted)."""
    return "classify_intent" if state.get("speaker") == "customer" else "emit"


def route_intent(state: CallState) -> Literal["extract_claim", "retain", "answer"]:
    """Disputes to the billing path, cancel and port-out to the churn path, the rest to FAQ."""
    intent = Intent(state.get("intent", Intent.OTHER.value))
    if intent is Intent.BILLING_DISPUTE:
        return "extract_claim"
    if intent in _CHURN_INTENTS:
        return "retain"
    return "answer"


def _last_intent(state: CallState) -> Intent | None:
    hits = state.get("intents", [])
    return Intent(hits[-1]["intent"]) if hits else None
