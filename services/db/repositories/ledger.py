"""SqlCreditLedger: issues each credit exactly once per idempotency key (agents.ports)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from agents.ports import Clock, CreditReceipt
from services.db._sql import UtcClock, derived_id, insert_ignore
from services.db.errors import IdempotencyConflict
from services.db.models import Credit


class SqlCreditLedger:
    """The credit ledger; implements agents.ports.CreditLedger.

    `issue_credit` is one INSERT ... ON CONFLICT (idempotency_key) DO NOTHING followed by a
    read of the row, so concurrent or redelivered issues of one key leave exactly one row.
    """

    def __init__(
        self, sessions: sessionmaker[Session], *, clock: Clock | None = None, day_zone: tzinfo = UTC
    ) -> None:
        self._sessions = sessions
        self._clock = clock or UtcClock()
        self._day_zone = day_zone

    def issue_credit(
        self,
        *,
        idempotency_key: str,
        customer_id: str,
        invoice_id: str | None,
        amount_krw: int,
        reason: str,
        call_id: str,
        approval_id: str | None = None,
    ) -> CreditReceipt:
        """Insert the credit once; a repeated key returns the existing credit, created=False.

        Raises:
            ValueError: the amount is not positive.
            IdempotencyConflict: the key exists for another customer or amount.
        """
        if amount_krw <= 0:
            raise ValueError(f"credit amount must be positive, got {amount_krw}")
        values = {
            "credit_id": derived_id("cr", idempotency_key),
            "idempotency_key": idempotency_key,
            "customer_id": customer_id,
            "invoice_id": invoice_id,
            "amount_krw": amount_krw,
            "reason": reason,
            "call_id": call_id,
            "approval_id": approval_id,
            "created_at": self._clock.now(),
        }
        with self._sessions.begin() as session:
            created = insert_ignore(session, Credit, values)
            row = session.scalars(
                select(Credit).where(Credit.idempotency_key == idempotency_key)
            ).one()
        if (row.customer_id, row.amount_krw) != (customer_id, amount_krw):
            raise IdempotencyConflict(
                f"key {idempotency_key!r} already credits {row.amount_krw} KRW to {row.customer_id}"
            )
        return CreditReceipt(
            credit_id=row.credit_id,
            idempotency_key=row.idempotency_key,
            customer_id=row.customer_id,
            amount_krw=row.amount_krw,
            created=created,
        )

    def credited_today(self, customer_id: str, *, day: date) -> int:
        """Sum of credits to the customer on `day` (a calendar day in `day_zone`)."""
        start = datetime.combine(day, time.min, tzinfo=self._day_zone)
        stmt = select(func.coalesce(func.sum(Credit.amount_krw), 0)).where(
            Credit.customer_id == customer_id,
            Credit.created_at >= start,
            Credit.created_at < start + timedelta(days=1),
        )
        with self._sessions() as session:
            return int(session.scalar(stmt) or 0)
