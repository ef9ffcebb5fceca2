"""The approval graph's nodes: wait (interrupt), settle against the store, route.

The resume value is never trusted: it only says "look again"; the store says whether the
ticket was approved, and `consume()` lets one settle credit it.
"""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agents.approvals.state import ApprovalState, ApprovalWait
from agents.graph.context import AgentContext
from agents.policies.disputes import approval_key
from agents.tools import CreditLimits, ToolChannel, ToolPolicyViolation, Tools

__all__ = ["await_approval", "route_after_settle", "settle_approval"]


def await_approval(state: ApprovalState, runtime: Runtime[AgentContext]) -> ApprovalState:
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


def settle_approval(state: ApprovalState, runtime: Runtime[AgentContext]) -> ApprovalState:
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
    try:
        _supervisor_tools(runtime.context, wait).issue_credit(
            idempotency_key=wait["idempotency_key"], customer_id=wait["customer_id"],
            invoice_id=wait["invoice_id"], amount_krw=wait["amount_krw"],
            reason=wait["reason"], approval=ticket)
    except ToolPolicyViolation as exc:
        return {"approval": {**wait, "status": f"denied:{exc.reason}"}}
    return {"approval": {**wait, "status": "credited"}}


def route_after_settle(state: ApprovalState) -> Literal["await_approval", "__end__"]:
    """Keep waiting while the ticket is pending; otherwise the approval thread is done."""
    wait = state.get("approval")
    if wait is not None and wait["status"] == "pending":
        return "await_approval"
    return "__end__"


def _supervisor_tools(context: AgentContext, wait: ApprovalWait) -> Tools:
    """The call's tools on the supervisor channel (nothing credited on this thread yet)."""
    channel = ToolChannel.SUPERVISOR
    return Tools(
        billing=context.billing, ledger=context.ledger, approvals=context.approvals,
        audit=context.audit, call_id=wait["call_id"], channel=channel,
        limits=CreditLimits.for_channel(context.limits, channel),
        today=context.clock.now().date(), credited_krw=0,
    )
