"""Node: hand the call or chat to a human agent when the policy says so, once per call.

It runs on every customer turn after assess_churn (which it reads: the churn flag and the
call's disputes) and before emit, so the turn's insight carries the handoff in its actions
and assist lines. The words the customer hears come from code; no model call.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from agents.domain import HandoffReason
from agents.graph.context import AgentContext
from agents.graph.nodes._common import note
from agents.graph.nodes.answer import FALLBACK_ANSWER
from agents.graph.nodes.emit import message_id_for
from agents.graph.state import CallState
from agents.policies.handoff import (
    HANDOFF_MESSAGE,
    REASON_LABELS,
    UNRESOLVED_OUTCOMES,
    TurnFacts,
    is_unhelped,
    should_hand_off,
)
from services.schemas import HandoffRequested

__all__ = ["hand_off"]


def hand_off(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Count unhelped turns; on the first trigger, record the call's one HandoffRequested."""
    seq, answer, dispute = state.get("seq", -1), state.get("answer"), state.get("dispute")
    facts = TurnFacts(
        seq=seq, text=state.get("text", ""),
        dispute_outcome=dispute["outcome"] if dispute else None,
        answer=answer, fallback=answer == FALLBACK_ANSWER,
        previous_answer=state.get("handoff_last_answer"),
        churn_flagged=bool(state.get("churn_flagged")),
        unresolved_dispute=any(d["outcome"] in UNRESOLVED_OUTCOMES
                               for d in state.get("disputes", [])),
    )
    streak = state.get("handoff_streak", 0) + 1 if is_unhelped(facts) else 0
    update: CallState = {"handoff_streak": streak, "handoff_last_answer": answer}
    decision = should_hand_off(
        facts, unhelped_streak=streak, already=bool(state.get("handoff")),
        failure_turns=runtime.context.limits.handoff_failure_turns,
    )
    if decision is None or seq < 0:
        return update
    call_id = state.get("call_id", "")
    request = HandoffRequested(
        message_id=message_id_for(call_id, "handoff"), call_id=call_id,
        occurred_at=runtime.context.clock.now(), utterance_seq=seq,
        customer_id=state.get("customer_id"), source=state.get("source", "voice"),
        reason=HandoffReason(decision.reason), evidence=decision.evidence,
        message=HANDOFF_MESSAGE,
    )
    update["handoff"] = request.model_dump(mode="json")
    update["actions"] = [note(state, "hand_off", f"handoff:{decision.reason}")]
    update["assist"] = [*state.get("assist", []),
                        f"상담원 연결({REASON_LABELS[decision.reason]}): "
                        f"고객에게 '{HANDOFF_MESSAGE}'라고 안내하십시오."]
    return update
