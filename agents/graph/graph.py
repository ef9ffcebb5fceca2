"""The call graph: one StateGraph for live calls and assistant chat, fed a call event.

```
START -> route_event
  start     -> start_call -> END
  utterance -> [start_call] -> sync_approvals -> redact_pii (+ screen_phishing)
               -> classify_intent (normalize +) -> billing_dispute: extract_claim -> investigate
                                                   -> decide -> act -> explain
                                                      -> assess_churn (+ hand_off) -> emit
                                                -> cancel/port-out: retain (+ tail)
                                                -> everything else: answer (+ tail)
               tail = assess_churn + hand_off + emit -> END (or the next queued turn, below)
  agent turn (known call) -> record_agent_turn (redact_pii + screen_phishing + emit) -> END
  end       -> [start_call] -> sync_approvals -> summarize -> END
```
Approvals wait and settle in their own graph (agents.approvals), on their own threads;
this graph only catches a call's pending disputes up with the store (sync_approvals).
"a (+ b)": the node functions a then b run as one graph node (agents.graph.chain), as
do normalize then classify_intent: one superstep where a plain edge joined two, with the
same state after it.
A redelivered utterance (seq already processed) goes to skip_duplicate and END; the
caller re-emits the insight kept in state, so redelivery never repeats an effect.
A run over several turns of one call (the agent stage's micro-batches, `queue` in the
input) routes the next turn like a new event, while turns are queued and the turn just
run decided no dispute (the caller looks at a dispute right after its turn). LangGraph's
per-run cost is then paid once per call per poll batch, not once per utterance. After
emit, the emit node itself takes the next queued turn as the event (`emit_turn`), so a
queued turn costs no superstep of its own; after skip_duplicate (rare) a next_turn node
does it.
An agent's turn only needs recording (redacted, for the summary), screening for phishing
and marking processed: it skips the approval sync and normalization, which only customer
turns and the end of the call read. sync_approvals
runs only while a dispute of the call waits for a supervisor (otherwise it has nothing to
look up): every superstep costs the same LangGraph bookkeeping, whatever the node does.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agents.domain import DisputeOutcome
from agents.graph.chain import chain
from agents.graph.context import AgentContext
from agents.graph.nodes import (
    act,
    answer,
    assess_churn,
    classify_intent,
    decide,
    emit,
    explain,
    extract_claim,
    hand_off,
    investigate,
    next_turn,
    normalize_text,
    redact_pii,
    retain,
    route_intent,
    route_speaker,
    screen_phishing,
    skip_duplicate,
    start_call,
    summarize,
    sync_approvals,
)
from agents.graph.state import CallInput, CallState

__all__ = [
    "AgentGraph",
    "build_graph",
    "emit_turn",
    "route_after_emit",
    "route_after_start",
    "route_after_sync",
    "route_after_turn",
    "route_event",
]

AgentGraph = CompiledStateGraph[CallState, AgentContext, CallInput, CallState]


def route_event(
    state: CallState,
) -> Literal["start_call", "sync_approvals", "redact_pii", "record_agent_turn", "summarize",
             "skip_duplicate"]:
    """Route the call event; open unknown calls implicitly; drop duplicates."""
    event = state.get("event", {})
    kind = event.get("kind")
    if kind == "utterance" and int(event.get("seq", -1)) in set(state.get("processed_seqs", [])):
        return "skip_duplicate"
    if kind == "start" or not state.get("customer_id"):
        return "start_call"
    if kind == "utterance" and event.get("speaker") == "agent":
        return "record_agent_turn"
    if _awaits_approval(state):
        return "sync_approvals"
    return "summarize" if kind == "end" else "redact_pii"


def _awaits_approval(state: CallState) -> bool:
    return any(d["outcome"] == DisputeOutcome.PENDING_APPROVAL and d["approval_id"]
               for d in state.get("disputes", []))


def route_after_start(state: CallState) -> Literal["sync_approvals", "__end__"]:
    """A CallStarted ends here; an implicitly opened call goes on with its event."""
    return "__end__" if state.get("event", {}).get("kind") == "start" else "sync_approvals"


def route_after_sync(state: CallState) -> Literal["redact_pii", "summarize"]:
    """Utterances take the analysis path; the end of a call is summarized."""
    return "summarize" if state.get("event", {}).get("kind") == "end" else "redact_pii"


def route_after_turn(state: CallState) -> Literal["next_turn", "__end__"]:
    """Run the next queued turn, unless this one decided a dispute (or none is queued)."""
    if state.get("queue") and (state.get("duplicate") or not state.get("dispute")):
        return "next_turn"
    return "__end__"


def emit_turn(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """emit, and in a run over several turns take the next queued turn as the event.

    The same writes as emit followed by next_turn (route_after_turn decides, on the same
    values: emit writes neither queue nor duplicate nor dispute), one superstep fewer:
    every superstep costs LangGraph's bookkeeping over the whole state, whatever it does.
    """
    update = emit(state, runtime)
    if route_after_turn(state) == "next_turn":
        update.update(next_turn(state))
    return update


def route_after_emit(
    state: CallState,
) -> Literal["start_call", "sync_approvals", "redact_pii", "record_agent_turn", "summarize",
             "skip_duplicate", "__end__"]:
    """Route the turn emit_turn took from the queue, or end the run.

    The event is still the turn just emitted exactly when its seq is this turn's (redact_pii
    set `seq` from it); a queued turn has another seq, as a run's seqs are distinct.
    """
    if int(state.get("event", {}).get("seq", -1)) == state.get("seq", -1):
        return "__end__"
    return route_event(state)


_TURN_TAIL = (assess_churn, hand_off, emit_turn)


def build_graph(checkpointer: BaseCheckpointSaver[Any] | None = None) -> AgentGraph:
    """Compile the call graph; pass a checkpointer so calls survive worker restarts.

    Compile the approval graph (agents.approvals.build_approval_graph) with the same one.
    """
    builder = StateGraph(CallState, context_schema=AgentContext, input_schema=CallInput)
    for name, node in (
        ("start_call", start_call), ("sync_approvals", sync_approvals),
        # Nodes joined by plain edges on the per-utterance path run as one (agents.graph.chain).
        ("redact_pii", chain(redact_pii, screen_phishing)),
        # An agent's turn of a known call is recorded, screened and emitted in one superstep.
        ("record_agent_turn", chain(redact_pii, screen_phishing, emit_turn)),
        ("classify_intent", chain(normalize_text, classify_intent)),
        ("extract_claim", extract_claim),
        ("investigate", investigate), ("decide", decide), ("act", act),
        ("explain", explain),
        # A customer turn ends with the churn check, the handoff check and emit: on the
        # common paths they run inside the node that answered it (two supersteps fewer);
        # the dispute path keeps them as nodes of their own, spans for a supervisor's trace.
        ("retain", chain(retain, *_TURN_TAIL)), ("answer", chain(answer, *_TURN_TAIL)),
        ("assess_churn", chain(assess_churn, hand_off)), ("emit", emit_turn),
        ("summarize", summarize), ("skip_duplicate", skip_duplicate),
        ("next_turn", next_turn),
    ):
        builder.add_node(name, node)
    builder.add_conditional_edges(START, route_event)
    builder.add_conditional_edges("start_call", route_after_start)
    builder.add_conditional_edges("sync_approvals", route_after_sync)
    builder.add_conditional_edges("redact_pii", route_speaker)
    builder.add_conditional_edges("classify_intent", route_intent)
    for a, b in (("extract_claim", "investigate"), ("investigate", "decide"), ("decide", "act"),
                 ("act", "explain"), ("explain", "assess_churn"), ("assess_churn", "emit")):
        builder.add_edge(a, b)
    for turn_end in ("emit", "record_agent_turn", "retain", "answer"):
        builder.add_conditional_edges(turn_end, route_after_emit)
    builder.add_edge("summarize", END)
    builder.add_conditional_edges("skip_duplicate", route_after_turn)
    builder.add_conditional_edges("next_turn", route_event)
    return builder.compile(checkpointer=checkpointer)
