"""What the pipeline learned about calls: calls, utterances, insights, summaries, flags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.db.models.base import Base, JsonType, UtcDateTime

# customer_id on calls is deliberately not a foreign key: calls can arrive (from load
# tests, or from a CRM not mirrored here) for customers the billing tables do not hold,
# and the sink must store them rather than dead-letter them.


class Call(Base):
    """One voice call or chat session; a stub row appears if children arrive first."""

    __tablename__ = "calls"

    call_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    source: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | ended
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    utterance_count: Mapped[int | None]
    end_reason: Mapped[str | None] = mapped_column(String(64))


class UtteranceRow(Base):
    """One redacted utterance of a call; (call_id, seq) is its identity."""

    __tablename__ = "utterances"
    __table_args__ = (UniqueConstraint("call_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.call_id", ondelete="CASCADE"))
    seq: Mapped[int]
    message_id: Mapped[str] = mapped_column(String(64))
    speaker: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    start_ms: Mapped[int]
    end_ms: Mapped[int]
    confidence: Mapped[float]
    source: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)


class InsightRow(Base):
    """The graph's result after one utterance; a newer revision replaces an older one."""

    __tablename__ = "insights"
    __table_args__ = (UniqueConstraint("call_id", "utterance_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.call_id", ondelete="CASCADE"))
    utterance_seq: Mapped[int]
    message_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    intent: Mapped[str] = mapped_column(String(40), index=True)
    intent_confidence: Mapped[float]
    intent_tier: Mapped[str] = mapped_column(String(16))
    churn_score: Mapped[float]
    churn_flag: Mapped[bool]
    churn_signals: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    dispute: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    actions: Mapped[list[str]] = mapped_column(JsonType)
    assist: Mapped[list[str]] = mapped_column(JsonType)
    fallbacks: Mapped[list[str]] = mapped_column(JsonType)
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    source: Mapped[str] = mapped_column(String(16), default="rules", server_default="rules")
    model_tokens: Mapped[int] = mapped_column(default=0, server_default="0")


class SummaryRow(Base):
    """The post-call structured summary; one per call."""

    __tablename__ = "summaries"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(
        ForeignKey("calls.call_id", ondelete="CASCADE"), unique=True
    )
    message_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)  # the CallSummary as JSON
    summary: Mapped[str] = mapped_column(Text)
    churn_score: Mapped[float]
    source: Mapped[str] = mapped_column(String(16))
    revision: Mapped[int] = mapped_column(default=0, server_default="0")


class Dispute(Base):
    """A billing dispute's latest policy decision; keyed by its idempotency key."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    dispute_key: Mapped[str] = mapped_column(String(200), unique=True)
    call_id: Mapped[str] = mapped_column(
        ForeignKey("calls.call_id", ondelete="CASCADE"), index=True
    )
    utterance_seq: Mapped[int]
    outcome: Mapped[str] = mapped_column(String(32), index=True)
    rule: Mapped[str] = mapped_column(String(64))
    amount_krw: Mapped[int]
    invoice_id: Mapped[str | None] = mapped_column(String(64))
    invoice_line_ids: Mapped[list[str]] = mapped_column(JsonType)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    approval_id: Mapped[str | None] = mapped_column(String(64))
    explanation: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ChurnFlag(Base):
    """A call flagged for churn risk; keeps the highest-scoring evidence seen."""

    __tablename__ = "churn_flags"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(
        ForeignKey("calls.call_id", ondelete="CASCADE"), unique=True
    )
    utterance_seq: Mapped[int]
    score: Mapped[float]
    signals: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    flagged_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class RetentionOffer(Base):
    """A retention offer the graph proposed on a flagged call."""

    __tablename__ = "retention_offers"
    __table_args__ = (
        UniqueConstraint("call_id", "offer_code"),
        Index("ix_retention_offers_offered_at", "offered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.call_id", ondelete="CASCADE"))
    offer_code: Mapped[str] = mapped_column(String(64))
    utterance_seq: Mapped[int]
    offered_at: Mapped[datetime] = mapped_column(UtcDateTime)
