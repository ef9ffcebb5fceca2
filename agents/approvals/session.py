"""Opening and resuming approval threads: the approval graph's session functions."""

from __future__ import annotations

from langgraph.types import Command

from agents.approvals.graph import ApprovalGraph
from agents.approvals.state import ApprovalState, ApprovalWait
from agents.graph.context import AgentContext
from agents.policies.disputes import credit_key_of
from agents.threads import approval_thread_id, thread_config

__all__ = ["open_approval", "resume_approval"]


def open_approval(graph: ApprovalGraph, context: AgentContext, wait: ApprovalWait) -> None:
    """Start waiting (idempotent: an already opened approval is left as it is)."""
    config = thread_config(approval_thread_id(wait["call_id"], wait["approval_id"]))
    if graph.get_state(config).values:
        return
    state: ApprovalState = {"call_id": wait["call_id"], "customer_id": wait["customer_id"],
                            "approval": wait}
    graph.invoke(state, config, context=context, durability="exit")


def resume_approval(
    graph: ApprovalGraph, context: AgentContext, *, call_id: str, approval_id: str
) -> ApprovalWait | None:
    """Tell the approval's thread to look at the store again; returns its state after.

    Call this after the supervisor's decision is stored. Returns None for an approval the
    store does not know for this call. A settled approval is returned unchanged.
    """
    config = thread_config(approval_thread_id(call_id, approval_id))
    if not graph.get_state(config).values:
        ticket = context.approvals.get(approval_id)
        if ticket is None or ticket.call_id != call_id:
            return None
        # Opened lazily: the worker may have crashed between the decision and opening it.
        open_approval(graph, context, ApprovalWait(
            approval_id=approval_id, call_id=call_id, customer_id=ticket.customer_id,
            idempotency_key=credit_key_of(ticket.idempotency_key), amount_krw=ticket.amount_krw,
            invoice_id=None, reason="approved credit", status="pending", checks=0))
    snapshot = graph.get_state(config)
    if snapshot.interrupts:
        result = graph.invoke(Command(resume={"approval_id": approval_id}), config,
                              context=context, durability="exit")
        wait: ApprovalWait | None = result.get("approval")
        return wait
    settled: ApprovalWait | None = snapshot.values.get("approval")
    return settled
