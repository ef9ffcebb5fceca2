"""Feeding one call's events to the graph: the API and the agent stage both use these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from langchain_core.runnables import RunnableConfig

from agents.graph.approvals import open_approval
from agents.graph.context import AgentContext
from agents.graph.graph import AgentGraph
from agents.graph.nodes import new_wait
from agents.graph.state import CallState, EventInput
from services.schemas import (
    CallEnded,
    CallInsight,
    CallStarted,
    CallSummary,
    DisputeOutcome,
    Speaker,
    Utterance,
)

__all__ = ["TurnResult", "call_config", "call_state", "end_call", "handle_utterance", "start_call"]


@dataclass(frozen=True, slots=True)
class TurnResult:
    """One utterance's outcome: the insight (customer turns), the reply, a new approval."""

    insight: CallInsight | None
    reply: str | None
    approval_id: str | None
    duplicate: bool


def call_config(call_id: str) -> RunnableConfig:
    """The graph config of a call's thread."""
    return {"configurable": {"thread_id": call_id}}


def call_state(graph: AgentGraph, call_id: str) -> CallState:
    """The call's current state (empty for a call never seen)."""
    values = graph.get_state(call_config(call_id)).values
    return cast(CallState, values)


def _run(graph: AgentGraph, context: AgentContext, call_id: str, event: EventInput) -> CallState:
    # "exit" durability: one checkpoint write per event; a crash mid-run replays the whole
    # event, and every effect in it is idempotent.
    state: CallState = {"call_id": call_id, "event": event}
    result = graph.invoke(state, call_config(call_id), context=context, durability="exit")
    return cast(CallState, result)


def start_call(graph: AgentGraph, context: AgentContext, started: CallStarted) -> None:
    """Open the call's thread with its customer."""
    _run(graph, context, started.call_id, {"kind": "start", "message_id": started.message_id,
                                           "customer_id": started.customer_id,
                                           "source": started.source})


def handle_utterance(graph: AgentGraph, context: AgentContext, utterance: Utterance) -> TurnResult:
    """Run one utterance; a redelivered one returns the insight it produced the first time."""
    state = _run(graph, context, utterance.call_id, {
        "kind": "utterance", "message_id": utterance.message_id, "seq": utterance.seq,
        "speaker": utterance.speaker.value, "text": utterance.text})
    duplicate = bool(state.get("duplicate"))
    stored = state.get("insights", {}).get(str(utterance.seq))
    insight = (CallInsight.model_validate(stored)
               if stored and utterance.speaker is Speaker.CUSTOMER else None)
    if duplicate:
        return TurnResult(insight, None, None, True)
    dispute = state.get("dispute")
    approval_id = None
    if dispute and dispute["outcome"] == DisputeOutcome.PENDING_APPROVAL:
        wait = new_wait(dispute, call_id=utterance.call_id,
                        customer_id=state.get("customer_id", ""))
        if wait is not None:
            open_approval(graph, context, wait)
            approval_id = wait["approval_id"]
    reply = dispute["explanation"] if dispute else state.get("answer")
    return TurnResult(insight, reply, approval_id, False)


def end_call(graph: AgentGraph, context: AgentContext, ended: CallEnded) -> CallSummary:
    """Summarize the call (the caller waits for every utterance first)."""
    state = _run(graph, context, ended.call_id, {"kind": "end", "message_id": ended.message_id,
                                                 "utterances": ended.utterances})
    return CallSummary.model_validate(state["summary"])
