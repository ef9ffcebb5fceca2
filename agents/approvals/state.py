"""The approval graph's own state: the proposal one approval thread waits on."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:  # a type only: agents.graph imports this module (see agents.approvals)
    from agents.graph.state import DisputeState

__all__ = ["ApprovalState", "ApprovalWait", "new_wait"]


class ApprovalWait(TypedDict):
    """The proposal an approval thread is waiting on, and how far it got."""

    approval_id: str
    call_id: str
    customer_id: str
    idempotency_key: str
    amount_krw: int
    invoice_id: str | None
    reason: str
    status: str
    checks: int


class ApprovalState(TypedDict, total=False):
    """The approval graph's input and state, on thread "{call_id}/approval/{approval_id}".

    The same keys the one graph of earlier releases kept on an approval thread, so a wait
    it left pending resumes in the approval graph after an upgrade.
    """

    call_id: str
    customer_id: str
    approval: ApprovalWait


def new_wait(dispute: DisputeState, *, call_id: str, customer_id: str) -> ApprovalWait | None:
    """The approval-thread input for a dispute that was sent for approval."""
    if not dispute["approval_id"] or not dispute["idempotency_key"]:
        return None
    return ApprovalWait(approval_id=dispute["approval_id"], call_id=call_id,
                        customer_id=customer_id, idempotency_key=dispute["idempotency_key"],
                        amount_krw=dispute["amount_krw"], invoice_id=dispute["invoice_id"],
                        reason=f"{dispute['rule']}", status="pending", checks=0)
