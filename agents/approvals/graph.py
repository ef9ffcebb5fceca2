"""The approval graph: its own small StateGraph, compiled beside the call graph.

```
START -> await_approval (interrupt) -> settle_approval -> END | await_approval
```
Compile it with the call graph's checkpointer: the agent stage and the API resume
approval threads from any process.
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agents.approvals.nodes import await_approval, route_after_settle, settle_approval
from agents.approvals.state import ApprovalState
from agents.graph.context import AgentContext

__all__ = ["ApprovalGraph", "build_approval_graph"]

ApprovalGraph = CompiledStateGraph[ApprovalState, AgentContext, ApprovalState, ApprovalState]


def build_approval_graph(checkpointer: BaseCheckpointSaver[Any] | None = None) -> ApprovalGraph:
    """Compile the approval graph; pass the checkpointer the call graph uses."""
    builder = StateGraph(ApprovalState, context_schema=AgentContext)
    # The node names are those of the one graph of earlier releases: a wait it left
    # pending at "await_approval" resumes here.
    builder.add_node("await_approval", await_approval)
    builder.add_node("settle_approval", settle_approval)
    builder.add_edge(START, "await_approval")
    builder.add_edge("await_approval", "settle_approval")
    builder.add_conditional_edges("settle_approval", route_after_settle)
    return builder.compile(checkpointer=checkpointer)
