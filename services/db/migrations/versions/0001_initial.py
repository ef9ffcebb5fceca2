"""Initial schema: billing, calls and insights, money, audit log and inbox.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Written out in full rather than importing the models, so this revision keeps meaning the
same schema when the models change later.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TS = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def _call_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["call_id"], ["calls.call_id"], name=f"fk_{table}_call_id_calls", ondelete="CASCADE"
    )


def _create_billing() -> None:
    op.create_table(
        "plans",
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("monthly_fee_krw", sa.Integer(), nullable=False),
        sa.Column("data_mb", sa.Integer(), nullable=True),
        sa.Column("voice_min", sa.Integer(), nullable=True),
        sa.Column("overage_krw_per_mb", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", name="pk_plans"),
    )
    op.create_table(
        "customers",
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("contract_end", sa.Date(), nullable=True),
        sa.Column("monthly_discount_krw", sa.Integer(), nullable=False),
        sa.Column("segment", sa.String(40), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.plan_id"], name="fk_customers_plan_id_plans"),
        sa.PrimaryKeyConstraint("customer_id", name="pk_customers"),
    )
    op.create_index("ix_customers_plan_id", "customers", ["plan_id"])
    op.create_table(
        "invoices",
        sa.Column("invoice_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("total_krw", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name="fk_invoices_customer_id_customers"
        ),
        sa.PrimaryKeyConstraint("invoice_id", name="pk_invoices"),
    )
    op.create_index("ix_invoices_customer_period", "invoices", ["customer_id", "period"])
    op.create_table(
        "invoice_lines",
        sa.Column("line_id", sa.String(64), nullable=False),
        sa.Column("invoice_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("amount_krw", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(64), nullable=True),
        sa.Column("charged_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.invoice_id"], name="fk_invoice_lines_invoice_id_invoices"
        ),
        sa.PrimaryKeyConstraint("line_id", name="pk_invoice_lines"),
    )
    op.create_index("ix_invoice_lines_invoice_id", "invoice_lines", ["invoice_id"])
    op.create_table(
        "usage_records",
        sa.Column("usage_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("quantity", sa.Double(), nullable=False),
        sa.Column("country", sa.String(8), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name="fk_usage_records_customer_id_customers",
        ),
        sa.PrimaryKeyConstraint("usage_id", name="pk_usage_records"),
    )
    op.create_index("ix_usage_records_customer_period", "usage_records", ["customer_id", "period"])
    op.create_table(
        "consents",
        sa.Column("consent_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("service_code", sa.String(64), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name="fk_consents_customer_id_customers"
        ),
        sa.PrimaryKeyConstraint("consent_id", name="pk_consents"),
    )
    op.create_index("ix_consents_customer_id", "consents", ["customer_id"])
    op.create_table(
        "payments",
        sa.Column("payment_id", sa.String(64), nullable=False),
        sa.Column("invoice_id", sa.String(64), nullable=False),
        sa.Column("amount_krw", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(40), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.invoice_id"], name="fk_payments_invoice_id_invoices"
        ),
        sa.PrimaryKeyConstraint("payment_id", name="pk_payments"),
    )
    op.create_index("ix_payments_invoice_id", "payments", ["invoice_id"])


def _create_calls() -> None:
    op.create_table(
        "calls",
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=True),
        sa.Column("source", sa.String(16), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", _TS, nullable=True),
        sa.Column("ended_at", _TS, nullable=True),
        sa.Column("utterance_count", sa.Integer(), nullable=True),
        sa.Column("end_reason", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("call_id", name="pk_calls"),
    )
    op.create_index("ix_calls_customer_id", "calls", ["customer_id"])
    op.create_index("ix_calls_started_at", "calls", ["started_at"])
    op.create_table(
        "utterances",
        _id(),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("speaker", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("start_ms", sa.Integer(), nullable=False),
        sa.Column("end_ms", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("occurred_at", _TS, nullable=False),
        _call_fk("utterances"),
        sa.PrimaryKeyConstraint("id", name="pk_utterances"),
        sa.UniqueConstraint("call_id", "seq", name="uq_utterances_call_id_seq"),
    )
    op.create_table(
        "insights",
        _id(),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("utterance_seq", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("occurred_at", _TS, nullable=False),
        sa.Column("intent", sa.String(40), nullable=False),
        sa.Column("intent_confidence", sa.Double(), nullable=False),
        sa.Column("intent_tier", sa.String(16), nullable=False),
        sa.Column("churn_score", sa.Double(), nullable=False),
        sa.Column("churn_flag", sa.Boolean(), nullable=False),
        sa.Column("churn_signals", _JSON, nullable=False),
        sa.Column("dispute", _JSON, nullable=True),
        sa.Column("actions", _JSON, nullable=False),
        sa.Column("assist", _JSON, nullable=False),
        sa.Column("fallbacks", _JSON, nullable=False),
        _call_fk("insights"),
        sa.PrimaryKeyConstraint("id", name="pk_insights"),
        sa.UniqueConstraint("call_id", "utterance_seq", name="uq_insights_call_id_utterance_seq"),
    )
    op.create_index("ix_insights_intent", "insights", ["intent"])
    op.create_table(
        "summaries",
        _id(),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("occurred_at", _TS, nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("churn_score", sa.Double(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        _call_fk("summaries"),
        sa.PrimaryKeyConstraint("id", name="pk_summaries"),
        sa.UniqueConstraint("call_id", name="uq_summaries_call_id"),
    )
    op.create_table(
        "disputes",
        _id(),
        sa.Column("dispute_key", sa.String(200), nullable=False),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("utterance_seq", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("amount_krw", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.String(64), nullable=True),
        sa.Column("invoice_line_ids", _JSON, nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("approval_id", sa.String(64), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        _call_fk("disputes"),
        sa.PrimaryKeyConstraint("id", name="pk_disputes"),
        sa.UniqueConstraint("dispute_key", name="uq_disputes_dispute_key"),
    )
    op.create_index("ix_disputes_call_id", "disputes", ["call_id"])
    op.create_index("ix_disputes_outcome", "disputes", ["outcome"])
    op.create_table(
        "churn_flags",
        _id(),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("utterance_seq", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("signals", _JSON, nullable=False),
        sa.Column("flagged_at", _TS, nullable=False),
        _call_fk("churn_flags"),
        sa.PrimaryKeyConstraint("id", name="pk_churn_flags"),
        sa.UniqueConstraint("call_id", name="uq_churn_flags_call_id"),
    )
    op.create_index("ix_churn_flags_flagged_at", "churn_flags", ["flagged_at"])
    op.create_table(
        "retention_offers",
        _id(),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("offer_code", sa.String(64), nullable=False),
        sa.Column("utterance_seq", sa.Integer(), nullable=False),
        sa.Column("offered_at", _TS, nullable=False),
        _call_fk("retention_offers"),
        sa.PrimaryKeyConstraint("id", name="pk_retention_offers"),
        sa.UniqueConstraint("call_id", "offer_code", name="uq_retention_offers_call_id_offer_code"),
    )
    op.create_index("ix_retention_offers_offered_at", "retention_offers", ["offered_at"])


def _create_money() -> None:
    op.create_table(
        "approvals",
        sa.Column("approval_id", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("amount_krw", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", _TS, nullable=False),
        sa.Column("decided_by", sa.String(120), nullable=True),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("consumed_at", _TS, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'consumed')",
            name="ck_approvals_status",
        ),
        sa.CheckConstraint("amount_krw >= 0", name="ck_approvals_amount_non_negative"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name="fk_approvals_customer_id_customers"
        ),
        sa.PrimaryKeyConstraint("approval_id", name="pk_approvals"),
        sa.UniqueConstraint("idempotency_key", name="uq_approvals_idempotency_key"),
    )
    op.create_index("ix_approvals_call_id", "approvals", ["call_id"])
    op.create_index("ix_approvals_status_requested_at", "approvals", ["status", "requested_at"])
    op.create_table(
        "credit_ledger",
        sa.Column("credit_id", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("invoice_id", sa.String(64), nullable=True),
        sa.Column("amount_krw", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("approval_id", sa.String(64), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.CheckConstraint("amount_krw > 0", name="ck_credit_ledger_amount_positive"),
        sa.ForeignKeyConstraint(
            ["approval_id"],
            ["approvals.approval_id"],
            name="fk_credit_ledger_approval_id_approvals",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name="fk_credit_ledger_customer_id_customers",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.invoice_id"], name="fk_credit_ledger_invoice_id_invoices"
        ),
        sa.PrimaryKeyConstraint("credit_id", name="pk_credit_ledger"),
        sa.UniqueConstraint("idempotency_key", name="uq_credit_ledger_idempotency_key"),
    )
    op.create_index("ix_credit_ledger_call_id", "credit_ledger", ["call_id"])
    op.create_index(
        "ix_credit_ledger_customer_created", "credit_ledger", ["customer_id", "created_at"]
    )


def _create_ops() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(120), nullable=False),
        sa.Column("detail", _JSON, nullable=False),
        sa.Column("latency_ms", sa.Double(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_call_id", "audit_log", ["call_id"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "processed_messages",
        sa.Column("consumer", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("processed_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("consumer", "message_id", name="pk_processed_messages"),
    )


def upgrade() -> None:
    """Create every table."""
    _create_billing()
    _create_calls()
    _create_money()
    _create_ops()


def downgrade() -> None:
    """Drop every table, children first."""
    for table in (
        "processed_messages",
        "audit_log",
        "credit_ledger",
        "approvals",
        "retention_offers",
        "churn_flags",
        "disputes",
        "summaries",
        "insights",
        "utterances",
        "calls",
        "payments",
        "consents",
        "usage_records",
        "invoice_lines",
        "invoices",
        "customers",
        "plans",
    ):
        op.drop_table(table)
