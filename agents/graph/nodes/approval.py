"""Nodes of supervisor approval: wait (interrupt), settle against the store, sync the call.

An approval waits on its own thread (see agents.graph.approvals), so the call's thread
never sits on an interrupt and keeps taking utterances. The resume value is never trusted:
it only says "look again"; the store says whether the ticket was approved.
"""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agents.graph.context import AgentContext
from agents.graph.nodes._common import tools_for
from agents.graph.settlement import SETTLED_STATUSES, settled_dispute
from agents.graph.state import ApprovalWait, CallState, DisputeState
from agents.policies.disputes import approval_key
from agents.tools import ToolChannel, ToolPolicyViolation
from services.schemas import DisputeOutcome


def await_approval(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Pause the approval thread until a supervisor decision is announced."""
    wait = state.get("approval")
    if wait is None:
        return {}
    resume = interrupt({"approval_id": wait["approval_id"], "call_id": wait["call_id"],
                        "amount_krw": wait["amount_krw"], "reason": wait["reason"]})
    claimed = resume.get("approval_id") if isinstance(resume, dict) else None
    if claimed != wait["approval_id"]:
        runtime.context.audit.record(call_id=wait["call_id"], actor="node:await_approval",
                                     action="resume_mismatch",
                                     detail={"expected": wait["approval_id"], "got": str(claimed)})
    return {"approval": {**wait, "checks": wait["checks"] + 1}}


def settle_approval(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Re-read the ticket; credit only if the store says approved and consume() succeeds."""
    wait = state.get("approval")
    if wait is None:
        return {}
    store = runtime.context.approvals
    ticket = store.get(wait["approval_id"])
    expected = (wait["call_id"], wait["customer_id"],
                approval_key(wait["idempotency_key"], wait["call_id"]), wait["amount_krw"])
    if ticket is None or (ticket.call_id, ticket.customer_id, ticket.idempotency_key,
                          ticket.amount_krw) != expected:
        return {"approval": {**wait, "status": "invalid"}}
    if ticket.status == "approved" and store.consume(ticket.approval_id):
        ticket = store.get(ticket.approval_id) or ticket
    elif ticket.status == "approved":
        return {"approval": {**wait, "status": "pending"}}  # lost a race; look again later
    if ticket.status != "consumed":
        return {"approval": {**wait, "status": ticket.status}}
    # Consumed by this proposal (now or by a run that crashed before crediting): the ledger
    # key makes this at most one credit, ever.
    tools = tools_for(runtime.context, state, ToolChannel.SUPERVISOR)
    try:
        tools.issue_credit(idempotency_key=wait["idempotency_key"], customer_id=wait["customer_id"],
                           invoice_id=wait["invoice_id"], amount_krw=wait["amount_krw"],
                           reason=wait["reason"], approval=ticket)
    except ToolPolicyViolation as exc:
        return {"approval": {**wait, "status": f"denied:{exc.reason}"}}
    return {"approval": {**wait, "status": "credited"}}


def route_after_settle(state: CallState) -> Literal["await_approval", "__end__"]:
    """Keep waiting while the ticket is pending; otherwise the approval thread is done."""
    wait = state.get("approval")
    if wait is not None and wait["status"] == "pending":
        return "await_approval"
    return "__end__"


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


def new_wait(dispute: DisputeState, *, call_id: str, customer_id: str) -> ApprovalWait | None:
    """The approval-thread input for a dispute that was sent for approval."""
    if not dispute["approval_id"] or not dispute["idempotency_key"]:
        return None
    return ApprovalWait(approval_id=dispute["approval_id"], call_id=call_id,
                        customer_id=customer_id, idempotency_key=dispute["idempotency_key"],
                        amount_krw=dispute["amount_krw"], invoice_id=dispute["invoice_id"],
                        reason=f"{dispute['rule']}", status="pending", checks=0)
