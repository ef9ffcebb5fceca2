"""Running credit totals per call and per customer-day, the rows the credit caps lock.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06

The caps were checked by reading a sum and then inserting (two workers could both pass);
now a credit and the +amount on its two total rows are one transaction, and the rows only
move by `UPDATE ... WHERE total_krw + :amount <= :cap`. The totals are backfilled from the
credits already in the ledger; the day is the Asia/Seoul business day (UTC+9, no DST).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
# Fixed here (not imported) so the backfill keeps meaning the same day when code changes.
_BUSINESS_DAY_ZONE = timezone(timedelta(hours=9), "Asia/Seoul")


def upgrade() -> None:
    """Create credit_call_totals and credit_day_totals and fill them from credit_ledger."""
    op.create_table(
        "credit_call_totals",
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("total_krw", sa.Integer(), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint("total_krw >= 0", name="ck_credit_call_totals_total_non_negative"),
        sa.CheckConstraint("credits >= 0", name="ck_credit_call_totals_credits_non_negative"),
        sa.PrimaryKeyConstraint("call_id", name="pk_credit_call_totals"),
    )
    op.create_table(
        "credit_day_totals",
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("total_krw", sa.Integer(), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint("total_krw >= 0", name="ck_credit_day_totals_total_non_negative"),
        sa.CheckConstraint("credits >= 0", name="ck_credit_day_totals_credits_non_negative"),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name="fk_credit_day_totals_customer_id_customers",
        ),
        sa.PrimaryKeyConstraint("customer_id", "day", name="pk_credit_day_totals"),
    )
    _backfill()


def downgrade() -> None:
    """Drop the totals (the credits themselves are untouched)."""
    op.drop_table("credit_day_totals")
    op.drop_table("credit_call_totals")


def _backfill() -> None:
    ledger = sa.table(
        "credit_ledger",
        sa.column("customer_id", sa.String()),
        sa.column("call_id", sa.String()),
        sa.column("amount_krw", sa.Integer()),
        sa.column("created_at", _TS),
    )
    calls = sa.table(
        "credit_call_totals",
        sa.column("call_id", sa.String()),
        sa.column("total_krw", sa.Integer()),
        sa.column("credits", sa.Integer()),
        sa.column("updated_at", _TS),
    )
    days = sa.table(
        "credit_day_totals",
        sa.column("customer_id", sa.String()),
        sa.column("day", sa.Date()),
        sa.column("total_krw", sa.Integer()),
        sa.column("credits", sa.Integer()),
        sa.column("updated_at", _TS),
    )
    op.execute(
        calls.insert().from_select(
            ["call_id", "total_krw", "credits", "updated_at"],
            sa.select(
                ledger.c.call_id,
                sa.func.sum(ledger.c.amount_krw),
                sa.func.count(),
                sa.func.max(ledger.c.created_at),
            ).group_by(ledger.c.call_id),
        )
    )
    # The business day needs a time-zone shift each dialect spells differently; the ledger
    # is read once here and grouped in Python instead.
    rows = op.get_bind().execute(
        sa.select(ledger.c.customer_id, ledger.c.amount_krw, ledger.c.created_at)
    )
    totals: dict[tuple[str, date], dict[str, Any]] = defaultdict(
        lambda: {"total_krw": 0, "credits": 0, "updated_at": None}
    )
    for customer_id, amount_krw, created_at in rows:
        total = totals[(customer_id, _business_day(created_at))]
        total["total_krw"] += amount_krw
        total["credits"] += 1
        if total["updated_at"] is None or created_at > total["updated_at"]:
            total["updated_at"] = created_at  # as the database gave it, written back as is
    if totals:
        op.bulk_insert(
            days,
            [{"customer_id": c, "day": d, **total} for (c, d), total in sorted(totals.items())],
        )


def _business_day(created_at: datetime) -> date:
    """The Asia/Seoul date of a stored timestamp (SQLite gives naive UTC, PostgreSQL aware)."""
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    return created_at.astimezone(_BUSINESS_DAY_ZONE).date()
