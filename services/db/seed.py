"""Load a synthetic BillingWorld into the billing tables; re-running changes nothing."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.orm import DeclarativeBase, Session

from services.db._sql import column_values, insert_ignore_many
from services.db.models import (
    Consent,
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    Plan,
    UsageRecordRow,
)
from services.schemas import BillingWorld, InvoiceRecord

_BATCH = 1000


def seed_world(target: Session | Engine, world: BillingWorld) -> dict[str, int]:
    """Insert every record of `world` that is not there yet, parents first.

    Rows are matched by primary key and never overwritten, so a second run inserts
    nothing. A Session is used as is (the caller commits); an Engine gets one transaction.

    Returns:
        Rows inserted per table.
    """
    if isinstance(target, Session):
        return _seed(target, world)
    with Session(target) as session, session.begin():
        return _seed(session, world)


def _seed(session: Session, world: BillingWorld) -> dict[str, int]:
    invoice_fields = set(InvoiceRecord.model_fields) - {"lines"}
    lines = [line for invoice in world.invoices for line in invoice.lines]
    batches: list[tuple[type[DeclarativeBase], Iterable[BaseModel], set[str] | None]] = [
        (Plan, world.plans, None),
        (Customer, world.customers, None),
        (Invoice, world.invoices, invoice_fields),
        (InvoiceLine, lines, None),
        (UsageRecordRow, world.usage, None),
        (Consent, world.consents, None),
        (Payment, world.payments, None),
    ]
    counts: dict[str, int] = {}
    for model, records, include in batches:
        rows = [column_values(record, include=include) for record in records]
        inserted = 0
        for start in range(0, len(rows), _BATCH):
            inserted += insert_ignore_many(session, model, rows[start : start + _BATCH])
        counts[str(model.__tablename__)] = inserted
    return counts
