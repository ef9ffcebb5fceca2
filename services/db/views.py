"""Read models the API serves: frozen values built from rows, separate from the tables."""

from __future__ import annotations

from datetime import datetime

from services.schemas import (
    CallInsight,
    CallSummary,
    ChurnSignal,
    CustomerRecord,
    InvoiceRecord,
    PlanRecord,
    Record,
    Utterance,
)


class CallHeader(Record):
    """A call's lifecycle facts."""

    call_id: str
    customer_id: str | None
    source: str | None
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    utterance_count: int | None
    end_reason: str | None


class DisputeView(Record):
    """The latest policy decision on one dispute."""

    dispute_key: str
    call_id: str
    utterance_seq: int
    outcome: str
    rule: str
    amount_krw: int
    invoice_id: str | None
    invoice_line_ids: list[str]
    idempotency_key: str | None
    approval_id: str | None
    explanation: str
    updated_at: datetime


class ChurnFlagView(Record):
    """A churn-flagged call with its strongest evidence and the offers made."""

    call_id: str
    customer_id: str | None
    utterance_seq: int
    score: float
    signals: list[ChurnSignal]
    flagged_at: datetime
    offers: list[str]


class CallView(Record):
    """Everything known about one call, in order."""

    call: CallHeader
    utterances: list[Utterance]
    insights: list[CallInsight]
    summary: CallSummary | None
    disputes: list[DisputeView]
    churn: ChurnFlagView | None


class ApprovalView(Record):
    """An approval as the supervisor queue shows it."""

    approval_id: str
    call_id: str
    customer_id: str
    idempotency_key: str
    amount_krw: int
    reason: str
    status: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None


class CreditView(Record):
    """One ledger entry."""

    credit_id: str
    idempotency_key: str
    customer_id: str
    invoice_id: str | None
    amount_krw: int
    reason: str
    call_id: str
    approval_id: str | None
    created_at: datetime


class CustomerView(Record):
    """A customer with plan, recent bills, credits, calls and churn flags."""

    customer: CustomerRecord
    plan: PlanRecord | None
    invoices: list[InvoiceRecord]
    credits: list[CreditView]
    calls: list[CallHeader]
    churn_flags: list[ChurnFlagView]


class HandoffView(Record):
    """A handoff to a human agent as the queue shows it (evidence is redacted text)."""

    handoff_id: str
    call_id: str
    customer_id: str | None
    source: str
    reason: str
    utterance_seq: int
    evidence: str
    message: str
    requested_at: datetime
    status: str
    claimed_by: str | None
    claimed_at: datetime | None
