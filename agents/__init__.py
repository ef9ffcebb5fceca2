"""The pure core: the LangGraph agent graph, its policies, tools, prompts and ports.

Names are resolved lazily so that importing a light submodule (agents.korean in the ASR
worker, say) does not pull in LangGraph and scikit-learn.
"""

from __future__ import annotations

from agents._lazy import lazy_exports

__all__ = [
    "AgentContext",
    "AgentGraph",
    "CallState",
    "ToolChannel",
    "ToolPolicyViolation",
    "Tools",
    "TurnResult",
    "build_graph",
    "end_call",
    "evaluate_dispute",
    "handle_utterance",
    "resume_approval",
    "score_churn",
    "start_call",
    "template_summary",
]

_HOME = {
    "AgentContext": "agents.graph",
    "AgentGraph": "agents.graph",
    "CallState": "agents.graph",
    "TurnResult": "agents.graph",
    "build_graph": "agents.graph",
    "end_call": "agents.graph",
    "handle_utterance": "agents.graph",
    "resume_approval": "agents.approvals",
    "start_call": "agents.graph",
    "ToolChannel": "agents.tools",
    "ToolPolicyViolation": "agents.tools",
    "Tools": "agents.tools",
    "evaluate_dispute": "agents.policies",
    "score_churn": "agents.policies",
    "template_summary": "agents.summary",
}


__getattr__ = lazy_exports(__name__, _HOME)
