"""Money-moving tables: the credit ledger, its running totals, and the approvals that gate it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.db.models.base import Base, UtcDateTime

APPROVAL_STATUSES = ("pending", "approved", "rejected", "consumed")


class Approval(Base):
    """A supervisor approval bound to one proposal (call, customer, key, amount); single use."""

    __tablename__ = "approvals"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected', 'consumed')", name="status"),
        CheckConstraint("amount_krw >= 0", name="amount_non_negative"),
        Index("ix_approvals_status_requested_at", "status", "requested_at"),
    )

    approval_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    amount_krw: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    consumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Credit(Base):
    """One issued credit; the unique idempotency key makes a redelivered issue a no-op."""

    __tablename__ = "credit_ledger"
    __table_args__ = (
        CheckConstraint("amount_krw > 0", name="amount_positive"),
        Index("ix_credit_ledger_customer_created", "customer_id", "created_at"),
    )

    credit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    invoice_id: Mapped[str | None] = mapped_column(ForeignKey("invoices.invoice_id"))
    amount_krw: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    approval_id: Mapped[str | None] = mapped_column(ForeignKey("approvals.approval_id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CreditCallTotal(Base):
    """Running total of the credits issued in one call: the row the per-call cap locks.

    Changed only together with the credit it counts (same transaction), by a conditional
    `UPDATE ... SET total_krw = total_krw + :amount WHERE total_krw + :amount <= :cap`.
    """

    __tablename__ = "credit_call_totals"
    __table_args__ = (
        CheckConstraint("total_krw >= 0", name="total_non_negative"),
        CheckConstraint("credits >= 0", name="credits_non_negative"),
    )

    call_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    total_krw: Mapped[int]
    credits: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CreditDayTotal(Base):
    """Running total of one customer's credits on one business day (Asia/Seoul, UTC+9).

    The row the daily cap locks; kept like CreditCallTotal.
    """

    __tablename__ = "credit_day_totals"
    __table_args__ = (
        CheckConstraint("total_krw >= 0", name="total_non_negative"),
        CheckConstraint("credits >= 0", name="credits_non_negative"),
    )

    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.customer_id"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    total_krw: Mapped[int]
    credits: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
