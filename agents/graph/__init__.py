"""The LangGraph agent graph: state, runtime context, nodes, and the call/approval sessions."""

from agents.graph.approvals import approval_thread_id, open_approval, resume_approval
from agents.graph.context import AgentContext
from agents.graph.graph import AgentGraph, build_graph
from agents.graph.session import (
    TurnResult,
    call_config,
    call_state,
    end_call,
    handle_utterance,
    start_call,
)
from agents.graph.state import ApprovalWait, CallState

__all__ = [
    "AgentContext",
    "AgentGraph",
    "ApprovalWait",
    "CallState",
    "TurnResult",
    "approval_thread_id",
    "build_graph",
    "call_config",
    "call_state",
    "end_call",
    "handle_utterance",
    "open_approval",
    "resume_approval",
    "start_call",
]
