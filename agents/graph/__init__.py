"""The LangGraph agent graph: state, runtime context, nodes, and the call/approval sessions."""

from agents.graph.approvals import (
    SettledViews,
    approval_thread_id,
    open_approval,
    resume_approval,
    settle_call,
)
from agents.graph.context import AgentContext
from agents.graph.graph import AgentGraph, build_graph
from agents.graph.session import (
    MAX_TURNS_PER_RUN,
    TurnResult,
    call_config,
    call_state,
    end_call,
    handle_turns,
    handle_utterance,
    handoff_of,
    phishing_alerts_of,
    start_call,
)
from agents.graph.state import ApprovalWait, CallState

__all__ = [
    "MAX_TURNS_PER_RUN",
    "AgentContext",
    "AgentGraph",
    "ApprovalWait",
    "CallState",
    "SettledViews",
    "TurnResult",
    "approval_thread_id",
    "build_graph",
    "call_config",
    "call_state",
    "end_call",
    "handle_turns",
    "handle_utterance",
    "handoff_of",
    "open_approval",
    "phishing_alerts_of",
    "resume_approval",
    "settle_call",
    "start_call",
]
