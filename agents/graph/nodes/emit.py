"""Node: turn the turn's state into one CallInsight (kept in state for re-emission)."""

from __future__ import annotations

import uuid

from langgraph.runtime import Runtime

from agents.domain import ChurnSignal, DisputeDecision, DisputeOutcome, Intent, IntentTier
from agents.graph.context import AgentContext
from agents.graph.state import CallState, DisputeState
from services.schemas import CallInsight

_IDS = uuid.UUID("6f1d3c1e-2b8a-4c51-9f0e-6b7a1d2c3e4f")


def message_id_for(call_id: str, what: str) -> str:
    """A deterministic message id, so a re-emitted result replaces itself downstream."""
    return uuid.uuid5(_IDS, f"{call_id}:{what}").hex


def emit(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Build the insight of a customer utterance; agent turns are only marked processed."""
    seq = state.get("seq", -1)
    if state.get("speaker") != "customer":
        return {"processed_seqs": [seq]}
    call_id = state.get("call_id", "")
    insight = CallInsight(
        message_id=message_id_for(call_id, f"insight:{seq}"),
        call_id=call_id,
        occurred_at=runtime.context.clock.now(),
        utterance_seq=seq,
        intent=Intent(state.get("intent", Intent.OTHER.value)),
        intent_confidence=min(1.0, max(0.0, state.get("intent_confidence", 0.0))),
        intent_tier=IntentTier(state.get("intent_tier", IntentTier.FAST.value)),
        churn_score=state.get("churn_score", 0.0),
        churn_flag=bool(state.get("churn_flagged")),
        churn_signals=[ChurnSignal.model_validate(s) for s in state.get("churn_signals", [])],
        dispute=decision_of(state.get("dispute")),
        actions=[n["text"] for n in state.get("actions", []) if n["seq"] == seq],
        assist=list(state.get("assist", [])),
        fallbacks=[f"{n['node']}:{n['text']}" for n in state.get("fallbacks", [])
                   if n["seq"] == seq],
    )
    return {"processed_seqs": [seq], "insights": {str(seq): insight.model_dump(mode="json")}}


def decision_of(dispute: DisputeState | None) -> DisputeDecision | None:
    """The wire form of a dispute in state."""
    if dispute is None:
        return None
    return DisputeDecision(
        outcome=DisputeOutcome(dispute["outcome"]), rule=dispute["rule"],
        amount_krw=dispute["amount_krw"], invoice_id=dispute["invoice_id"],
        invoice_line_ids=list(dispute["invoice_line_ids"]),
        idempotency_key=dispute["idempotency_key"], approval_id=dispute["approval_id"],
        explanation=dispute["explanation"],
    )
