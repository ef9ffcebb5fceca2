"""SqlCreditLedger: each credit once per idempotency key, within the caps (agents.ports).

How the caps hold with any number of workers, on SQLite and PostgreSQL:

1. `INSERT ... ON CONFLICT (idempotency_key) DO NOTHING` the credit. A key that exists
   already (a redelivery, a crash-replay, a second worker on the same proposal) returns the
   stored credit and moves no total: a credit counts exactly once.
2. For a new credit, the running totals of its call and of its customer's business day
   get `UPDATE ... SET total_krw = total_krw + :amount WHERE ... AND total_krw + :amount
   <= :cap` (the row is first created at 0 with ON CONFLICT DO NOTHING). No row updated
   means the cap would be crossed: CreditCapExceeded, and the transaction, credit included,
   rolls back.

All three writes are one transaction. PostgreSQL: the UPDATE takes the row lock, and a
second writer waits for it and re-checks its WHERE against the committed total (READ
COMMITTED); rows are always locked call first, then day, so writers never deadlock.
SQLite: the first INSERT takes the database's single write lock (deferred BEGIN, see
services/db/engine.py), so writers run one at a time and wait on busy_timeout.

The business day is the Asia/Seoul calendar day (UTC+9, no daylight saving): the day a
Korean customer and call center see, and the one migration 0003 backfilled with.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from agents.ports import Clock, CreditCapExceeded, CreditReceipt, SystemClock
from services.db._sql import derived_id, insert_ignore, rowcount
from services.db.errors import IdempotencyConflict
from services.db.models import Credit
from services.db.models.money import CreditCallTotal, CreditDayTotal

__all__ = ["BUSINESS_DAY_ZONE", "SqlCreditLedger"]

BUSINESS_DAY_ZONE: tzinfo = timezone(timedelta(hours=9), "Asia/Seoul")


class SqlCreditLedger:
    """The credit ledger; implements agents.ports.CreditLedger (see the module docstring)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Clock | None = None,
        day_zone: tzinfo = BUSINESS_DAY_ZONE,
    ) -> None:
        """A ledger on `sessions`; `day_zone` is where a business day starts.

        Keep the default outside tests: the stored day totals (and migration 0003's
        backfill) are in it.
        """
        self._sessions = sessions
        self._clock = clock or SystemClock()
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
        per_call_cap_krw: int | None = None,
        per_day_cap_krw: int | None = None,
    ) -> CreditReceipt:
        """Insert the credit once, within the caps given.

        A repeated key returns the existing credit with created=False, whatever the totals
        are now. Every new credit adds to its call's and its customer-day's totals; a cap of None
        is not checked (a supervisor-approved credit), but still counts.

        Raises:
            ValueError: the amount is not positive.
            IdempotencyConflict: the key exists for another customer or amount.
            CreditCapExceeded: a new credit would take a total over its cap; nothing written.
        """
        if amount_krw <= 0:
            raise ValueError(f"credit amount must be positive, got {amount_krw}")
        now = self._clock.now()
        values = {
            "credit_id": derived_id("cr", idempotency_key),
            "idempotency_key": idempotency_key,
            "customer_id": customer_id,
            "invoice_id": invoice_id,
            "amount_krw": amount_krw,
            "reason": reason,
            "call_id": call_id,
            "approval_id": approval_id,
            "created_at": now,
        }
        with self._sessions.begin() as session:
            created = insert_ignore(session, Credit, values)
            if created:
                self._count(session, "per-call", {"call_id": call_id}, amount_krw,
                            per_call_cap_krw, now)
                day = self.business_day(now)
                self._count(session, "daily", {"customer_id": customer_id, "day": day},
                            amount_krw, per_day_cap_krw, now)
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
        """Sum of credits to the customer on business day `day` (in `day_zone`).

        Read from the running total the daily cap checks.
        """
        stmt = select(CreditDayTotal.total_krw).where(
            CreditDayTotal.customer_id == customer_id, CreditDayTotal.day == day
        )
        with self._sessions() as session:
            return int(session.scalar(stmt) or 0)

    def credited_in_call(self, call_id: str) -> int:
        """Sum of the credits issued in a call, the total the per-call cap checks."""
        stmt = select(CreditCallTotal.total_krw).where(CreditCallTotal.call_id == call_id)
        with self._sessions() as session:
            return int(session.scalar(stmt) or 0)

    def business_day(self, at: datetime) -> date:
        """The business day (in `day_zone`) an instant belongs to."""
        return at.astimezone(self._day_zone).date()

    @staticmethod
    def _count(
        session: Session,
        scope: Literal["per-call", "daily"],
        key: dict[str, object],
        amount_krw: int,
        cap_krw: int | None,
        now: datetime,
    ) -> None:
        """Add the amount to one total row, only while it stays within `cap_krw`."""
        model = CreditCallTotal if scope == "per-call" else CreditDayTotal
        insert_ignore(session, model, {**key, "total_krw": 0, "credits": 0, "updated_at": now})
        where = [getattr(model, column) == value for column, value in key.items()]
        stmt = (
            update(model)
            .where(*where)
            .values(total_krw=model.total_krw + amount_krw, credits=model.credits + 1,
                    updated_at=now)
        )
        if cap_krw is not None:
            stmt = stmt.where(model.total_krw + amount_krw <= cap_krw)
        result = session.execute(stmt, execution_options={"synchronize_session": False})
        if rowcount(result) != 1:
            total = session.scalar(select(model.total_krw).where(*where)) or 0
            raise CreditCapExceeded(scope, total_krw=int(total), amount_krw=amount_krw,
                                    cap_krw=cap_krw or 0)
