"""Feeding one call's events to the call graph: the API and the agent stage both use these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from agents.approvals.state import ApprovalWait, new_wait
from agents.domain import DisputeOutcome, HandoffReason, Speaker
from agents.graph.context import AgentContext
from agents.graph.graph import AgentGraph
from agents.graph.state import CallInput, CallState, EventInput
from agents.threads import thread_config
from services.schemas import (
    CallEnded,
    CallInsight,
    CallStarted,
    CallSummary,
    GuardianAlert,
    HandoffRequested,
    PhishingAlert,
    Utterance,
)

__all__ = [
    "MAX_TURNS_PER_RUN",
    "TurnResult",
    "call_state",
    "end_call",
    "handle_turns",
    "handle_utterance",
    "handoff_of",
    "phishing_alerts_of",
    "start_call",
]

# Turns of one call run in one graph invocation at most (handle_turns); well under the
# insights kept in state (MAX_INSIGHTS_KEPT), which the caller reads each turn's from.
MAX_TURNS_PER_RUN = 8
# Supersteps one turn may take (the dispute path is the longest, about a dozen).
_STEPS_PER_TURN = 25


@dataclass(frozen=True, slots=True)
class TurnResult:
    """One utterance's outcome: the insight (customer turns), the reply, a new approval.

    `approval` is the wait this turn sent for a supervisor: the caller opens it in the
    approval graph (agents.approvals.open_approval) before it hands the turn on.
    """

    insight: CallInsight | None
    reply: str | None
    approval_id: str | None
    duplicate: bool
    alerts: tuple[PhishingAlert | GuardianAlert, ...] = ()
    """The call's phishing alert (and guardian notice) if this turn raised it."""
    handoff: HandoffRequested | None = None
    """The call's handoff to a human agent if this turn asked for it (then `reply` says so)."""
    approval: ApprovalWait | None = None


def call_state(graph: AgentGraph, call_id: str) -> CallState:
    """The call's current state (empty for a call never seen)."""
    values = graph.get_state(thread_config(call_id)).values
    return cast(CallState, values)


def _run(graph: AgentGraph, context: AgentContext, call_id: str, event: EventInput,
         queue: Sequence[EventInput] | None = None) -> CallState:
    # "exit" durability: one checkpoint write per event; a crash mid-run replays the whole
    # event, and every effect in it is idempotent.
    state: CallInput = {"call_id": call_id, "event": event, "queue": None}
    config = thread_config(call_id)
    if queue is not None:
        state["queue"], state["batch_duplicates"] = list(queue), []
        config["recursion_limit"] = _STEPS_PER_TURN * (len(queue) + 1)
    if context.callbacks:
        config["callbacks"] = list(context.callbacks)
    result = graph.invoke(state, config, context=context, durability="exit")
    return cast(CallState, result)


def start_call(graph: AgentGraph, context: AgentContext, started: CallStarted) -> None:
    """Open the call's thread with its customer."""
    _run(graph, context, started.call_id, {"kind": "start", "message_id": started.message_id,
                                           "customer_id": started.customer_id,
                                           "source": started.source})


def _utterance_event(utterance: Utterance) -> EventInput:
    return {"kind": "utterance", "message_id": utterance.message_id, "seq": utterance.seq,
            "speaker": utterance.speaker.value, "text": utterance.text,
            "identifiers": [{"kind": i.kind, "masked": i.masked, "sealed": i.sealed}
                            for i in utterance.identifiers]}


def handle_utterance(graph: AgentGraph, context: AgentContext, utterance: Utterance) -> TurnResult:
    """Run one utterance; a redelivered one returns the insight it produced the first time."""
    state = _run(graph, context, utterance.call_id, _utterance_event(utterance))
    return _turn_result(utterance, state, duplicate=bool(state.get("duplicate")))


def handle_turns(
    graph: AgentGraph, context: AgentContext, utterances: Sequence[Utterance]
) -> list[TurnResult]:
    """Run consecutive utterances of one call in one graph invocation; results in order.

    Same outcome per utterance as `handle_utterance` one after the other (each turn's
    insight is kept in state by seq), but LangGraph's per-run cost is paid once. The run
    stops after a turn that decided a dispute (its approval comes back to be opened, as
    for one utterance), so fewer results than utterances may come back: the caller runs
    the rest again. The utterances must have distinct seqs and be at most MAX_TURNS_PER_RUN.
    """
    if not utterances:
        return []
    if len(utterances) > MAX_TURNS_PER_RUN or len({u.seq for u in utterances}) < len(utterances):
        raise ValueError("handle_turns takes at most MAX_TURNS_PER_RUN distinct seqs")
    events = [_utterance_event(u) for u in utterances]
    state = _run(graph, context, utterances[0].call_id, events[0], queue=events[1:])
    done = len(utterances) - len(state.get("queue") or [])
    duplicates = set(state.get("batch_duplicates", []))
    results = [_turn_result(u, state, duplicate=u.seq in duplicates, last=False)
               for u in utterances[: done - 1]]
    last = utterances[done - 1]
    results.append(_turn_result(last, state, duplicate=last.seq in duplicates))
    return results


def _turn_result(utterance: Utterance, state: CallState, *, duplicate: bool,
                 last: bool = True) -> TurnResult:
    """A turn's result from the state after it (`last`) or after later turns of its run."""
    stored = state.get("insights", {}).get(str(utterance.seq))
    insight = (CallInsight.model_validate(stored)
               if stored and utterance.speaker is Speaker.CUSTOMER else None)
    alerts = phishing_alerts_of(state, utterance.seq)
    handoff = handoff_of(state, utterance.seq)
    if duplicate or not last:  # a turn followed by others in its run decided no dispute
        return TurnResult(insight, None, None, duplicate, alerts, handoff)
    dispute = state.get("dispute")
    wait = None
    if dispute and dispute["outcome"] == DisputeOutcome.PENDING_APPROVAL:
        wait = new_wait(dispute, call_id=utterance.call_id,
                        customer_id=state.get("customer_id", ""))
    reply = dispute["explanation"] if dispute else state.get("answer")
    if handoff is not None:
        # A dispute's explanation still stands when churn and the dispute call for a person.
        keep = dispute is not None and handoff.reason is HandoffReason.CHURN_DISPUTE
        reply = f"{reply} {handoff.message}" if keep and reply else handoff.message
    return TurnResult(insight, reply, wait["approval_id"] if wait else None, False, alerts,
                      handoff, wait)


def phishing_alerts_of(state: CallState, seq: int) -> tuple[PhishingAlert | GuardianAlert, ...]:
    """The call's phishing alert and guardian notice, if utterance `seq` raised them."""
    alert, guardian = state.get("phishing_alert"), state.get("guardian_alert")
    if not alert or alert.get("utterance_seq") != seq:
        return ()
    found: list[PhishingAlert | GuardianAlert] = [PhishingAlert.model_validate(alert)]
    if guardian:
        found.append(GuardianAlert.model_validate(guardian))
    return tuple(found)


def handoff_of(state: CallState, seq: int) -> HandoffRequested | None:
    """The call's handoff to a human agent, if utterance `seq` asked for it."""
    handoff = state.get("handoff")
    if not handoff or handoff.get("utterance_seq") != seq:
        return None
    return HandoffRequested.model_validate(handoff)


def end_call(graph: AgentGraph, context: AgentContext, ended: CallEnded) -> CallSummary:
    """Summarize the call (the caller waits for every utterance first)."""
    state = _run(graph, context, ended.call_id, {"kind": "end", "message_id": ended.message_id,
                                                 "utterances": ended.utterances})
    return CallSummary.model_validate(state["summary"])
