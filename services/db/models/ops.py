"""Operational tables: the audit log and the consumers' processed-message inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.db.models.base import Base, JsonType, UtcDateTime


class AuditEntry(Base):
    """One node, tool or model call; `detail` is already redacted."""

    __tablename__ = "audit_log"

    # BIGINT on PostgreSQL (the log grows fast); SQLite only autoincrements INTEGER keys.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(120))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonType)
    latency_ms: Mapped[float] = mapped_column(default=0.0)
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    completion_tokens: Mapped[int] = mapped_column(default=0)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class ProcessedMessage(Base):
    """Inbox: a consumer has durably applied this message id."""

    __tablename__ = "processed_messages"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime)
