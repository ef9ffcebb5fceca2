"""The agent graph: one StateGraph for live calls, assistant chat and approval waits.

```
START -> route_event
  start     -> start_call -> END
  utterance -> [start_call] -> sync_approvals -> redact_pii -> screen_phishing -> normalize
               -> classify_intent -> billing_dispute: extract_claim -> investigate -> decide
                                                      -> act -> explain -> assess_churn
                                  -> cancel/port-out: retain -> assess_churn
                                  -> everything else: answer -> assess_churn
               assess_churn -> hand_off -> emit -> END
  agent turn (known call) -> redact_pii -> screen_phishing -> emit -> END
  end       -> [start_call] -> sync_approvals -> summarize -> END
  approval  -> await_approval (interrupt) -> settle_approval -> END | await_approval
```
A redelivered utterance (seq already processed) goes to skip_duplicate and END; the
caller re-emits the insight kept in state, so redelivery never repeats an effect.
A run over several turns of one call (the agent stage's micro-batches, `queue` in the
input) goes from emit or skip_duplicate to next_turn and routes the next turn like a new
event, while turns are queued and the turn just run decided no dispute (the caller looks
at a dispute right after its turn). LangGraph's per-run cost is then paid once per call
per poll batch, not once per utterance.
An agent's turn only needs recording (redacted, for the summary) and marking processed:
it skips the approval sync and normalization, which only customer turns and the end of
the call read (two supersteps fewer on half the utterances of a call). sync_approvals
runs only while a dispute of the call waits for a supervisor (otherwise it has nothing to
look up): every superstep costs the same LangGraph bookkeeping, whatever the node does.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agents.graph.context import AgentContext
from agents.graph.nodes import (
    act,
    answer,
    assess_churn,
    await_approval,
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
    route_after_settle,
    route_intent,
    route_speaker,
    screen_phishing,
    settle_approval,
    skip_duplicate,
    start_call,
    summarize,
    sync_approvals,
)
from agents.graph.state import CallState
from services.schemas import DisputeOutcome

__all__ = [
    "AgentGraph",
    "build_graph",
    "route_after_start",
    "route_after_sync",
    "route_after_turn",
    "route_event",
]

AgentGraph = CompiledStateGraph[CallState, AgentContext, CallState, CallState]


def route_event(
    state: CallState,
) -> Literal["start_call", "sync_approvals", "redact_pii", "summarize", "await_approval",
             "skip_duplicate"]:
    """Dispatch on the event kind; open unknown calls implicitly; drop duplicates."""
    event = state.get("event", {})
    kind = event.get("kind")
    if kind == "approval":
        return "await_approval"
    if kind == "utterance" and int(event.get("seq", -1)) in set(state.get("processed_seqs", [])):
        return "skip_duplicate"
    if kind == "start" or not state.get("customer_id"):
        return "start_call"
    if kind == "utterance" and event.get("speaker") == "agent":
        return "redact_pii"
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


def build_graph(checkpointer: BaseCheckpointSaver[Any] | None = None) -> AgentGraph:
    """Compile the graph; pass a checkpointer so calls survive worker restarts."""
    builder = StateGraph(CallState, context_schema=AgentContext)
    for name, node in (
        ("start_call", start_call), ("sync_approvals", sync_approvals),
        ("redact_pii", redact_pii), ("normalize", normalize_text),
        ("classify_intent", classify_intent), ("extract_claim", extract_claim),
        ("investigate", investigate), ("decide", decide), ("act", act), ("explain", explain),
        ("retain", retain), ("answer", answer), ("assess_churn", assess_churn), ("emit", emit),
        ("summarize", summarize), ("await_approval", await_approval),
        ("settle_approval", settle_approval), ("skip_duplicate", skip_duplicate),
        ("next_turn", next_turn), ("screen_phishing", screen_phishing), ("hand_off", hand_off),
    ):
        builder.add_node(name, node)
    builder.add_conditional_edges(START, route_event)
    builder.add_conditional_edges("start_call", route_after_start)
    builder.add_conditional_edges("sync_approvals", route_after_sync)
    builder.add_edge("redact_pii", "screen_phishing")
    builder.add_conditional_edges("screen_phishing", route_speaker)
    builder.add_edge("normalize", "classify_intent")
    builder.add_conditional_edges("classify_intent", route_intent)
    for a, b in (("extract_claim", "investigate"), ("investigate", "decide"), ("decide", "act"),
                 ("act", "explain"), ("explain", "assess_churn"), ("retain", "assess_churn"),
                 ("answer", "assess_churn"), ("assess_churn", "hand_off"),
                 ("hand_off", "emit")):
        builder.add_edge(a, b)
    builder.add_conditional_edges("emit", route_after_turn)
    builder.add_edge("summarize", END)
    builder.add_conditional_edges("skip_duplicate", route_after_turn)
    builder.add_conditional_edges("next_turn", route_event)
    builder.add_edge("await_approval", "settle_approval")
    builder.add_conditional_edges("settle_approval", route_after_settle)
    return builder.compile(checkpointer=checkpointer)
