"""The call graph's side of approvals: catch a call's pending disputes up with the store.

Waiting and settling happen in the approval graph (agents.approvals), on the approval's
own thread, so the call's thread never sits on an interrupt and keeps taking utterances.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from agents.approvals.settlement import SETTLED_STATUSES, settled_dispute
from agents.domain import DisputeOutcome
from agents.graph.context import AgentContext
from agents.graph.state import CallState, DisputeState

__all__ = ["sync_approvals"]


def sync_approvals(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Bring the call's pending disputes up to date with the approval store."""
    updated: list[DisputeState] = []
    for dispute in state.get("disputes", []):
        if dispute["outcome"] != DisputeOutcome.PENDING_APPROVAL or not dispute["approval_id"]:
            continue
        ticket = runtime.context.approvals.get(dispute["approval_id"])
        if ticket is not None and ticket.status in SETTLED_STATUSES:
            updated.append(settled_dispute(dispute, SETTLED_STATUSES[ticket.status]))
    return {"disputes": updated} if updated else {}
