"""Calls and chats handed to a human agent: the waiting queue and who took each one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.db.models.base import Base, UtcDateTime

HANDOFF_STATUSES = ("waiting", "claimed")


class HandoffRow(Base):
    """One handoff per call (the graph asks once); claimed once by one human agent."""

    __tablename__ = "handoffs"
    # The queue is read as "waiting, oldest first".
    __table_args__ = (Index("ix_handoffs_status_requested_at", "status", "requested_at"),)

    handoff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    call_id: Mapped[str] = mapped_column(
        ForeignKey("calls.call_id", ondelete="CASCADE"), unique=True
    )
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    utterance_seq: Mapped[int]
    evidence: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
