"""The agent graph: one StateGraph for live calls, assistant chat and approval waits.

```
START -> route_event
  start     -> start_call -> END
  utterance -> [start_call] -> sync_approvals -> redact_pii -> normalize
               -> (agent turn) emit
               -> classify_intent -> billing_dispute: extract_claim -> investigate -> decide
                                                      -> act -> explain -> assess_churn
                                  -> cancel/port-out: retain -> assess_churn
                                  -> everything else: answer -> assess_churn
               assess_churn -> emit -> END
  end       -> [start_call] -> sync_approvals -> summarize -> END
  approval  -> await_approval (interrupt) -> settle_approval -> END | await_approval
```
A redelivered utterance (seq already processed) goes to skip_duplicate and END; the
caller re-emits the insight kept in state, so redelivery never repeats an effect.
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
    investigate,
    normalize_text,
    redact_pii,
    retain,
    route_after_settle,
    route_intent,
    route_speaker,
    settle_approval,
    skip_duplicate,
    start_call,
    summarize,
    sync_approvals,
)
from agents.graph.state import CallState

__all__ = ["AgentGraph", "build_graph", "route_after_start", "route_after_sync", "route_event"]

AgentGraph = CompiledStateGraph[CallState, AgentContext, CallState, CallState]


def route_event(
    state: CallState,
) -> Literal["start_call", "sync_approvals", "await_approval", "skip_duplicate"]:
    """Dispatch on the event kind; open unknown calls implicitly; drop duplicates."""
    event = state.get("event", {})
    kind = event.get("kind")
    if kind == "approval":
        return "await_approval"
    if kind == "utterance" and int(event.get("seq", -1)) in set(state.get("processed_seqs", [])):
        return "skip_duplicate"
    if kind == "start" or not state.get("customer_id"):
        return "start_call"
    return "sync_approvals"


def route_after_start(state: CallState) -> Literal["sync_approvals", "__end__"]:
    """A CallStarted ends here; an implicitly opened call goes on with its event."""
    return "__end__" if state.get("event", {}).get("kind") == "start" else "sync_approvals"


def route_after_sync(state: CallState) -> Literal["redact_pii", "summarize"]:
    """Utterances take the analysis path; the end of a call is summarized."""
    return "summarize" if state.get("event", {}).get("kind") == "end" else "redact_pii"


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
    ):
        builder.add_node(name, node)
    builder.add_conditional_edges(START, route_event)
    builder.add_conditional_edges("start_call", route_after_start)
    builder.add_conditional_edges("sync_approvals", route_after_sync)
    builder.add_edge("redact_pii", "normalize")
    builder.add_conditional_edges("normalize", route_speaker)
    builder.add_conditional_edges("classify_intent", route_intent)
    for a, b in (("extract_claim", "investigate"), ("investigate", "decide"), ("decide", "act"),
                 ("act", "explain"), ("explain", "assess_churn"), ("retain", "assess_churn"),
                 ("answer", "assess_churn"), ("assess_churn", "emit")):
        builder.add_edge(a, b)
    builder.add_edge("emit", END)
    builder.add_edge("summarize", END)
    builder.add_edge("skip_duplicate", END)
    builder.add_edge("await_approval", "settle_approval")
    builder.add_conditional_edges("settle_approval", route_after_settle)
    return builder.compile(checkpointer=checkpointer)
