"""The LangGraph call graph: state, runtime context, nodes, and the call session.

Approvals (their own graph, threads and session functions) live in agents.approvals.
"""

from agents.graph.context import AgentContext
from agents.graph.graph import AgentGraph, build_graph
from agents.graph.session import (
    MAX_TURNS_PER_RUN,
    TurnResult,
    call_state,
    end_call,
    handle_turns,
    handle_utterance,
    handoff_of,
    phishing_alerts_of,
    start_call,
)
from agents.graph.state import CallInput, CallState

__all__ = [
    "MAX_TURNS_PER_RUN",
    "AgentContext",
    "AgentGraph",
    "CallInput",
    "CallState",
    "TurnResult",
    "build_graph",
    "call_state",
    "end_call",
    "handle_turns",
    "handle_utterance",
    "handoff_of",
    "phishing_alerts_of",
    "start_call",
]
