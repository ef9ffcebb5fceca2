"""Idempotent writes of the call pipeline's facts, inside a caller's transaction.

Each function returns True when it changed something. Exact redeliveries change nothing
(unique keys); a newer revision of an insight or summary replaces the older one and an
older one never wins: revisions order by (revision number, `occurred_at`), so a model's
rewording (a higher number) that arrives late never undoes a newer one, and within one
number the later event wins (e.g. after an approval resumed the graph).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, or_, update
from sqlalchemy.orm import Session

from services.db._sql import (
    Condition,
    Excluded,
    column_values,
    insert_ignore,
    insert_ignore_new,
    rowcount,
    upsert_where,
)
from services.db.models import (
    Base,
    Call,
    ChurnFlag,
    Dispute,
    InsightRow,
    ProcessedMessage,
    RetentionOffer,
    SummaryRow,
    UtteranceRow,
)
from services.schemas import (
    CallEnded,
    CallInsight,
    CallStarted,
    CallSummary,
    DisputeDecision,
    Utterance,
)

RETENTION_OFFER_ACTION = "retention_offer:"
"""Prefix of an insight action that proposes a retention offer: `retention_offer:<code>`."""


def mark_processed(session: Session, *, consumer: str, message_id: str, at: datetime) -> bool:
    """Record that `consumer` applied `message_id`; False if it already had."""
    values = {"consumer": consumer, "message_id": message_id, "processed_at": at}
    return insert_ignore(session, ProcessedMessage, values)


def mark_processed_many(
    session: Session, *, consumer: str, message_ids: Sequence[str], at: datetime
) -> set[str]:
    """Record that `consumer` applied each of `message_ids`; the ids it had not seen before."""
    rows = [{"consumer": consumer, "message_id": message_id, "processed_at": at}
            for message_id in dict.fromkeys(message_ids)]
    return {str(m) for m in insert_ignore_new(session, ProcessedMessage, rows, key="message_id")}


def record_call_started(session: Session, *, event: CallStarted) -> bool:
    """Create the call, or fill in a stub that children created first."""
    values = {
        "call_id": event.call_id,
        "customer_id": event.customer_id,
        "source": event.source,
        "status": "active",
        "started_at": event.occurred_at,
    }
    return upsert_where(
        session,
        Call,
        values,
        conflict=["call_id"],
        update=["customer_id", "source", "started_at"],
        when=lambda table, _new: table.c.started_at.is_(None),
    )


def record_call_ended(session: Session, *, event: CallEnded) -> bool:
    """Close the call once."""
    _ensure_call(session, event.call_id)
    stmt = (
        update(Call)
        .where(Call.call_id == event.call_id, Call.ended_at.is_(None))
        .values(
            status="ended",
            ended_at=event.occurred_at,
            utterance_count=event.utterances,
            end_reason=event.reason,
        )
    )
    return rowcount(session.execute(stmt)) == 1


def record_utterance(session: Session, *, utterance: Utterance) -> bool:
    """Store a redacted utterance once per (call_id, seq)."""
    _ensure_call(session, utterance.call_id)
    values = column_values(utterance, include=_fields(UtteranceRow))
    return insert_ignore(session, UtteranceRow, values, conflict=["call_id", "seq"])


def record_insight(session: Session, *, insight: CallInsight) -> bool:
    """Store an insight and what follows from it: churn flag, dispute, retention offers."""
    _ensure_call(session, insight.call_id)
    # JSON mode turns nested records into plain JSON; the timestamp stays a datetime.
    values: dict[str, Any] = insight.model_dump(mode="json", include=_fields(InsightRow))
    values["occurred_at"] = insight.occurred_at
    columns = [name for name in values if name not in ("call_id", "utterance_seq")]
    changed = upsert_where(
        session,
        InsightRow,
        values,
        conflict=["call_id", "utterance_seq"],
        update=columns,
        when=_newer_revision,
    )
    if not changed:
        return False
    if insight.churn_flag:
        _record_churn_flag(session, insight=insight)
    if insight.dispute is not None:
        _record_dispute(session, insight=insight, decision=insight.dispute)
    for action in insight.actions:
        if action.startswith(RETENTION_OFFER_ACTION):
            offer = {
                "call_id": insight.call_id,
                "offer_code": action[len(RETENTION_OFFER_ACTION) :][:64],
                "utterance_seq": insight.utterance_seq,
                "offered_at": insight.occurred_at,
            }
            insert_ignore(session, RetentionOffer, offer, conflict=["call_id", "offer_code"])
    return True


def record_summary(session: Session, *, summary: CallSummary) -> bool:
    """Store the call's summary; a newer one replaces an older one."""
    _ensure_call(session, summary.call_id)
    values = {
        "call_id": summary.call_id,
        "message_id": summary.message_id,
        "occurred_at": summary.occurred_at,
        "payload": summary.model_dump(mode="json"),
        "summary": summary.summary,
        "churn_score": summary.churn_score,
        "source": summary.source.value,
        "revision": summary.revision,
    }
    return upsert_where(
        session,
        SummaryRow,
        values,
        conflict=["call_id"],
        update=[name for name in values if name != "call_id"],
        when=_newer_revision,
    )


def _fields(model: type[Base]) -> set[str]:
    """The message fields a table stores: its columns but the surrogate key."""
    return {column.key for column in model.__table__.columns} - {"id"}


def _ensure_call(session: Session, call_id: str) -> None:
    # Topics are consumed independently, so an insight may land before its call_started.
    insert_ignore(session, Call, {"call_id": call_id, "status": "active"}, conflict=["call_id"])


def _newer(column: str) -> Condition:
    def condition(table: Table, new: Excluded) -> ColumnElement[bool]:
        return table.c[column] < new[column]

    return condition


def _newer_revision(table: Table, new: Excluded) -> ColumnElement[bool]:
    old_revision, new_revision = table.c["revision"], new["revision"]
    return or_(
        old_revision < new_revision,
        and_(old_revision == new_revision, table.c["occurred_at"] < new["occurred_at"]),
    )


def _record_churn_flag(session: Session, *, insight: CallInsight) -> None:
    values = {
        "call_id": insight.call_id,
        "utterance_seq": insight.utterance_seq,
        "score": insight.churn_score,
        "signals": [signal.model_dump(mode="json") for signal in insight.churn_signals],
        "flagged_at": insight.occurred_at,
    }
    # Keep the strongest evidence; the first flag time stays.
    upsert_where(
        session,
        ChurnFlag,
        values,
        conflict=["call_id"],
        update=["utterance_seq", "score", "signals"],
        when=lambda table, new: table.c.score < new.score,
    )


def _record_dispute(session: Session, *, insight: CallInsight, decision: DisputeDecision) -> None:
    key = decision.idempotency_key or (
        f"{insight.call_id}:{decision.rule}:{decision.invoice_id or '-'}"
    )
    values = {
        "dispute_key": key,
        "call_id": insight.call_id,
        "utterance_seq": insight.utterance_seq,
        "outcome": decision.outcome.value,
        "rule": decision.rule,
        "amount_krw": decision.amount_krw,
        "invoice_id": decision.invoice_id,
        "invoice_line_ids": list(decision.invoice_line_ids),
        "idempotency_key": decision.idempotency_key,
        "approval_id": decision.approval_id,
        "explanation": decision.explanation,
        "updated_at": insight.occurred_at,
    }
    upsert_where(
        session,
        Dispute,
        values,
        conflict=["dispute_key"],
        update=[name for name in values if name not in ("dispute_key", "call_id")],
        when=_newer("updated_at"),
    )
