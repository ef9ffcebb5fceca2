"""SqlBillingRepository: the read-only billing tools of the dispute path (agents.ports)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from services.db.models import Consent, Customer, Invoice, Plan, UsageRecordRow
from services.db.repositories._convert import (
    consent_record,
    customer_record,
    invoice_record,
    plan_record,
    usage_record,
)
from services.schemas import (
    ConsentRecord,
    CustomerRecord,
    InvoiceRecord,
    PlanRecord,
    UsageRecord,
)


class SqlBillingRepository:
    """Billing reads, one short read transaction per call; implements BillingRepository."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def customer(self, customer_id: str) -> CustomerRecord | None:
        """The customer, or None when unknown."""
        with self._sessions() as session:
            row = session.get(Customer, customer_id)
            return customer_record(row) if row else None

    def plan(self, plan_id: str) -> PlanRecord | None:
        """A rate plan, or None when unknown."""
        with self._sessions() as session:
            row = session.get(Plan, plan_id)
            return plan_record(row) if row else None

    def invoices(self, customer_id: str, *, limit: int = 3) -> list[InvoiceRecord]:
        """Most recent invoices first, each with its lines."""
        with self._sessions() as session:
            return recent_invoices(session, customer_id=customer_id, limit=limit)

    def usage(self, customer_id: str, *, period: str) -> list[UsageRecord]:
        """Usage records of one billing period."""
        stmt = (
            select(UsageRecordRow)
            .where(UsageRecordRow.customer_id == customer_id, UsageRecordRow.period == period)
            .order_by(UsageRecordRow.usage_id)
        )
        with self._sessions() as session:
            return [usage_record(row) for row in session.scalars(stmt)]

    def consents(self, customer_id: str) -> list[ConsentRecord]:
        """Value-added-service consents, oldest first."""
        stmt = (
            select(Consent)
            .where(Consent.customer_id == customer_id)
            .order_by(Consent.recorded_at, Consent.consent_id)
        )
        with self._sessions() as session:
            return [consent_record(row) for row in session.scalars(stmt)]


def recent_invoices(session: Session, *, customer_id: str, limit: int) -> list[InvoiceRecord]:
    """A customer's newest invoices with their lines (one query for the lines)."""
    stmt = (
        select(Invoice)
        .where(Invoice.customer_id == customer_id)
        .order_by(Invoice.period.desc(), Invoice.issued_on.desc(), Invoice.invoice_id.desc())
        .limit(limit)
        .options(selectinload(Invoice.lines))
    )
    return [invoice_record(row) for row in session.scalars(stmt)]
