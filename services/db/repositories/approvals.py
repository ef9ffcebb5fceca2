"""SqlApprovalStore: supervisor approvals bound to one proposal and usable once (agents.ports)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from agents.ports import ApprovalTicket, Clock, SystemClock
from services.db._sql import derived_id, insert_ignore, rowcount
from services.db.errors import ApprovalAlreadyDecided, ApprovalNotFound, IdempotencyConflict
from services.db.models import Approval
from services.db.repositories._convert import approval_view
from services.db.views import ApprovalView

# A repeated decision that matches what already happened is a retry, not a conflict.
_SAME_DECISION = {True: ("approved", "consumed"), False: ("rejected",)}


class SqlApprovalStore:
    """Approvals in our own table; implements agents.ports.ApprovalStore.

    The graph never trusts a resume value for money: it re-reads the ticket here and
    `consume`s it with one conditional UPDATE, so an approval pays out at most once.
    """

    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock | None = None) -> None:
        self._sessions = sessions
        self._clock = clock or SystemClock()

    def request(
        self, *, call_id: str, customer_id: str, idempotency_key: str, amount_krw: int, reason: str
    ) -> ApprovalTicket:
        """Create (or return the existing) pending approval for this proposal.

        Raises:
            IdempotencyConflict: the key already names another call, customer or amount.
        """
        values = {
            "approval_id": derived_id("apr", idempotency_key),
            "idempotency_key": idempotency_key,
            "call_id": call_id,
            "customer_id": customer_id,
            "amount_krw": amount_krw,
            "reason": reason,
            "status": "pending",
            "requested_at": self._clock.now(),
        }
        with self._sessions.begin() as session:
            insert_ignore(session, Approval, values)
            row = session.scalars(
                select(Approval).where(Approval.idempotency_key == idempotency_key)
            ).one()
        if (row.call_id, row.customer_id, row.amount_krw) != (call_id, customer_id, amount_krw):
            raise IdempotencyConflict(f"approval key {idempotency_key!r} bound to another proposal")
        return _ticket(row)

    def get(self, approval_id: str) -> ApprovalTicket | None:
        """Read an approval."""
        with self._sessions() as session:
            row = session.get(Approval, approval_id)
            return _ticket(row) if row else None

    def view(self, approval_id: str) -> ApprovalView | None:
        """An approval as the queue shows it (its decision included)."""
        with self._sessions() as session:
            row = session.get(Approval, approval_id)
            return approval_view(row) if row else None

    def consume(self, approval_id: str) -> bool:
        """Mark an approved ticket used; False if it was not approved or already used."""
        stmt = (
            update(Approval)
            .where(Approval.approval_id == approval_id, Approval.status == "approved")
            .values(status="consumed", consumed_at=self._clock.now())
        )
        with self._sessions.begin() as session:
            return rowcount(session.execute(stmt)) == 1

    def decide_approval(
        self, *, approval_id: str, approve: bool, decided_by: str
    ) -> ApprovalTicket:
        """Approve or reject a pending approval (the supervisor API); retries are harmless.

        Raises:
            ApprovalNotFound: no such approval.
            ApprovalAlreadyDecided: it was decided the other way (or used) before.
        """
        status = "approved" if approve else "rejected"
        stmt = (
            update(Approval)
            .where(Approval.approval_id == approval_id, Approval.status == "pending")
            .values(status=status, decided_by=decided_by, decided_at=self._clock.now())
        )
        with self._sessions.begin() as session:
            session.execute(stmt)
            row = session.get(Approval, approval_id)
        if row is None:
            raise ApprovalNotFound(approval_id)
        if row.status not in _SAME_DECISION[approve]:
            raise ApprovalAlreadyDecided(approval_id, row.status)
        return _ticket(row)


def _ticket(row: Approval) -> ApprovalTicket:
    return ApprovalTicket(
        approval_id=row.approval_id,
        call_id=row.call_id,
        customer_id=row.customer_id,
        idempotency_key=row.idempotency_key,
        amount_krw=row.amount_krw,
        status=row.status,
        decided_by=row.decided_by,
    )
