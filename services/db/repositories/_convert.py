"""Row-to-record conversions shared by the repositories."""

from __future__ import annotations

from services.db.models import (
    Approval,
    Call,
    ChurnFlag,
    Consent,
    Credit,
    Customer,
    Dispute,
    HandoffRow,
    InsightRow,
    Invoice,
    Plan,
    UsageRecordRow,
    UtteranceRow,
)
from services.db.views import (
    ApprovalView,
    CallHeader,
    ChurnFlagView,
    CreditView,
    DisputeView,
    HandoffView,
)
from services.schemas import (
    CallInsight,
    ChargeKind,
    ChurnSignal,
    ConsentRecord,
    CustomerRecord,
    DisputeDecision,
    Intent,
    IntentTier,
    InvoiceLineRecord,
    InvoiceRecord,
    PlanRecord,
    RevisionSource,
    Speaker,
    UsageKind,
    UsageRecord,
    Utterance,
)


def plan_record(row: Plan) -> PlanRecord:
    """A plan row as its wire record."""
    return PlanRecord(
        plan_id=row.plan_id,
        name=row.name,
        monthly_fee_krw=row.monthly_fee_krw,
        data_mb=row.data_mb,
        voice_min=row.voice_min,
        overage_krw_per_mb=row.overage_krw_per_mb,
    )


def customer_record(row: Customer) -> CustomerRecord:
    """A customer row as its wire record."""
    return CustomerRecord(
        customer_id=row.customer_id,
        name=row.name,
        phone=row.phone,
        plan_id=row.plan_id,
        joined_on=row.joined_on,
        contract_end=row.contract_end,
        monthly_discount_krw=row.monthly_discount_krw,
        segment=row.segment,
    )


def invoice_record(row: Invoice) -> InvoiceRecord:
    """An invoice row (lines loaded) as its wire record."""
    lines = [
        InvoiceLineRecord(
            line_id=line.line_id,
            invoice_id=line.invoice_id,
            kind=ChargeKind(line.kind),
            description=line.description,
            amount_krw=line.amount_krw,
            service_code=line.service_code,
            charged_on=line.charged_on,
        )
        for line in row.lines
    ]
    return InvoiceRecord(
        invoice_id=row.invoice_id,
        customer_id=row.customer_id,
        period=row.period,
        issued_on=row.issued_on,
        total_krw=row.total_krw,
        lines=lines,
    )


def usage_record(row: UsageRecordRow) -> UsageRecord:
    """A usage row as its wire record."""
    return UsageRecord(
        usage_id=row.usage_id,
        customer_id=row.customer_id,
        period=row.period,
        kind=UsageKind(row.kind),
        quantity=row.quantity,
        country=row.country,
    )


def consent_record(row: Consent) -> ConsentRecord:
    """A consent row as its wire record."""
    return ConsentRecord(
        consent_id=row.consent_id,
        customer_id=row.customer_id,
        service_code=row.service_code,
        granted=row.granted,
        recorded_at=row.recorded_at,
    )


def call_header(row: Call) -> CallHeader:
    """A call row as its read model."""
    return CallHeader.model_validate(row, from_attributes=True)


def utterance_message(row: UtteranceRow) -> Utterance:
    """A stored utterance as the message it came from."""
    return Utterance(
        message_id=row.message_id,
        call_id=row.call_id,
        occurred_at=row.occurred_at,
        seq=row.seq,
        speaker=Speaker(row.speaker),
        text=row.text,
        start_ms=row.start_ms,
        end_ms=row.end_ms,
        confidence=row.confidence,
        source="asr" if row.source == "asr" else "text",
    )


def insight_message(row: InsightRow) -> CallInsight:
    """A stored insight as the message it came from."""
    return CallInsight(
        message_id=row.message_id,
        call_id=row.call_id,
        occurred_at=row.occurred_at,
        utterance_seq=row.utterance_seq,
        intent=Intent(row.intent),
        intent_confidence=row.intent_confidence,
        intent_tier=IntentTier(row.intent_tier),
        churn_score=row.churn_score,
        churn_flag=row.churn_flag,
        churn_signals=[ChurnSignal.model_validate(s) for s in row.churn_signals],
        dispute=DisputeDecision.model_validate(row.dispute) if row.dispute else None,
        actions=list(row.actions),
        assist=list(row.assist),
        fallbacks=list(row.fallbacks),
        revision=row.revision,
        source=RevisionSource(row.source),
        model_tokens=row.model_tokens,
    )


def dispute_view(row: Dispute) -> DisputeView:
    """A dispute row as its read model."""
    return DisputeView.model_validate(row, from_attributes=True)


def churn_flag_view(row: ChurnFlag, *, customer_id: str | None, offers: list[str]) -> ChurnFlagView:
    """A churn flag row with its call's customer and offers."""
    return ChurnFlagView(
        call_id=row.call_id,
        customer_id=customer_id,
        utterance_seq=row.utterance_seq,
        score=row.score,
        signals=[ChurnSignal.model_validate(s) for s in row.signals],
        flagged_at=row.flagged_at,
        offers=offers,
    )


def approval_view(row: Approval) -> ApprovalView:
    """An approval row as the queue shows it."""
    return ApprovalView.model_validate(row, from_attributes=True)


def credit_view(row: Credit) -> CreditView:
    """A ledger row as its read model."""
    return CreditView.model_validate(row, from_attributes=True)


def handoff_view(row: HandoffRow) -> HandoffView:
    """A handoff row as the queue shows it."""
    return HandoffView.model_validate(row, from_attributes=True)
