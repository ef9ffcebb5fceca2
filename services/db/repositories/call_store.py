"""SqlCallStore: the call facts the sink writes and the read models the API serves."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from agents.ports import Clock, SystemClock
from services.db.models import (
    Approval,
    Call,
    ChurnFlag,
    Credit,
    Customer,
    Dispute,
    InsightRow,
    Plan,
    RetentionOffer,
    SummaryRow,
    UtteranceRow,
)
from services.db.repositories import _convert, call_writes
from services.db.repositories.billing import recent_invoices
from services.db.views import (
    ApprovalView,
    CallView,
    ChurnFlagView,
    CustomerView,
)
from services.schemas import CallEnded, CallInsight, CallStarted, CallSummary, Utterance


class SqlCallStore:
    """Idempotent call writes (each its own transaction) and the API's read models."""

    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock | None = None) -> None:
        self._sessions = sessions
        self._clock = clock or SystemClock()

    # --- writes --------------------------------------------------------------------

    def record_call_started(self, *, event: CallStarted) -> bool:
        """Create the call (or fill in its stub); False if it was already recorded."""
        return self._write(lambda s: call_writes.record_call_started(s, event=event))

    def record_call_ended(self, *, event: CallEnded) -> bool:
        """Close the call once."""
        return self._write(lambda s: call_writes.record_call_ended(s, event=event))

    def record_utterance(self, *, utterance: Utterance) -> bool:
        """Store a redacted utterance once."""
        return self._write(lambda s: call_writes.record_utterance(s, utterance=utterance))

    def record_insight(self, *, insight: CallInsight) -> bool:
        """Store an insight with its churn flag, dispute and offers."""
        return self._write(lambda s: call_writes.record_insight(s, insight=insight))

    def record_summary(self, *, summary: CallSummary) -> bool:
        """Store the call summary."""
        return self._write(lambda s: call_writes.record_summary(s, summary=summary))

    def mark_processed(self, *, consumer: str, message_id: str) -> bool:
        """Inbox: record the message as applied; False if `consumer` already saw it."""
        now = self._clock.now()
        return self._write(
            lambda s: call_writes.mark_processed(
                s, consumer=consumer, message_id=message_id, at=now
            )
        )

    def mark_processed_many(self, *, consumer: str, message_ids: Sequence[str]) -> set[str]:
        """Inbox, one transaction for a batch: the ids `consumer` had not seen before."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            return call_writes.mark_processed_many(session, consumer=consumer,
                                                   message_ids=message_ids, at=now)

    def _write(self, apply: Callable[[Session], bool]) -> bool:
        with self._sessions.begin() as session:
            return apply(session)

    # --- reads ---------------------------------------------------------------------

    def call_view(self, *, call_id: str) -> CallView | None:
        """Timeline, insights, summary, disputes and churn flag of one call; None if unknown."""
        with self._sessions() as session:
            call = session.get(Call, call_id)
            if call is None:
                return None
            utterances = session.scalars(
                select(UtteranceRow)
                .where(UtteranceRow.call_id == call_id)
                .order_by(UtteranceRow.seq)
            )
            insights = session.scalars(
                select(InsightRow)
                .where(InsightRow.call_id == call_id)
                .order_by(InsightRow.utterance_seq)
            )
            summary = session.scalars(
                select(SummaryRow).where(SummaryRow.call_id == call_id)
            ).first()
            disputes = session.scalars(
                select(Dispute).where(Dispute.call_id == call_id).order_by(Dispute.updated_at)
            )
            flags = _churn_flags(session, select(ChurnFlag).where(ChurnFlag.call_id == call_id))
            return CallView(
                call=_convert.call_header(call),
                utterances=[_convert.utterance_message(row) for row in utterances],
                insights=[_convert.insight_message(row) for row in insights],
                summary=CallSummary.model_validate(summary.payload) if summary else None,
                disputes=[_convert.dispute_view(row) for row in disputes],
                churn=flags[0] if flags else None,
            )

    def list_pending_approvals(self, *, limit: int = 100) -> list[ApprovalView]:
        """Pending approvals, oldest first."""
        stmt = (
            select(Approval)
            .where(Approval.status == "pending")
            .order_by(Approval.requested_at, Approval.approval_id)
            .limit(limit)
        )
        with self._sessions() as session:
            return [_convert.approval_view(row) for row in session.scalars(stmt)]

    def list_churn_flags(self, *, limit: int = 100) -> list[ChurnFlagView]:
        """Flagged calls, newest first."""
        stmt = select(ChurnFlag).order_by(ChurnFlag.flagged_at.desc(), ChurnFlag.id.desc())
        with self._sessions() as session:
            return _churn_flags(session, stmt.limit(limit))

    def customer_view(self, *, customer_id: str, recent: int = 20) -> CustomerView | None:
        """A customer with plan, last invoices, credits, recent calls and churn flags."""
        with self._sessions() as session:
            customer = session.get(Customer, customer_id)
            if customer is None:
                return None
            plan = session.get(Plan, customer.plan_id)
            credits = session.scalars(
                select(Credit)
                .where(Credit.customer_id == customer_id)
                .order_by(Credit.created_at.desc())
                .limit(recent)
            )
            calls = session.scalars(
                select(Call)
                .where(Call.customer_id == customer_id)
                .order_by(Call.started_at.desc(), Call.call_id)
                .limit(recent)
            )
            flags = select(ChurnFlag).join(Call, Call.call_id == ChurnFlag.call_id)
            flags = flags.where(Call.customer_id == customer_id)
            return CustomerView(
                customer=_convert.customer_record(customer),
                plan=_convert.plan_record(plan) if plan else None,
                invoices=recent_invoices(session, customer_id=customer_id, limit=3),
                credits=[_convert.credit_view(row) for row in credits],
                calls=[_convert.call_header(row) for row in calls],
                churn_flags=_churn_flags(
                    session, flags.order_by(ChurnFlag.flagged_at.desc()).limit(recent)
                ),
            )


def _churn_flags(session: Session, stmt: Select[ChurnFlag]) -> list[ChurnFlagView]:
    rows = list(session.scalars(stmt))
    call_ids = [row.call_id for row in rows]
    customers = {
        call_id: customer_id
        for call_id, customer_id in session.execute(
            select(Call.call_id, Call.customer_id).where(Call.call_id.in_(call_ids))
        )
    }
    offers: dict[str, list[str]] = {}
    for call_id, code in session.execute(
        select(RetentionOffer.call_id, RetentionOffer.offer_code)
        .where(RetentionOffer.call_id.in_(call_ids))
        .order_by(RetentionOffer.utterance_seq, RetentionOffer.offer_code)
    ):
        offers.setdefault(call_id, []).append(code)
    return [
        _convert.churn_flag_view(
            row, customer_id=customers.get(row.call_id), offers=offers.get(row.call_id, [])
        )
        for row in rows
    ]
