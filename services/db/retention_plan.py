"""The retention plan: from the settings and a clock, the cut-off instant of every kind of data.

Pure: no I/O, so what `kcall retention run` would delete is decided here and tested alone.
Anything strictly older than its cut-off is purged; a row exactly at it stays one more run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.config import RetentionSettings

__all__ = ["DataKind", "RetentionPlan", "plan_retention"]


class DataKind(StrEnum):
    """What `kcall retention run` counts, one line of its table each."""

    CALLS = "calls"
    UTTERANCES = "utterances"
    INSIGHTS = "insights"
    SUMMARIES = "summaries"
    DISPUTES = "disputes"
    CHURN_FLAGS = "churn_flags"
    RETENTION_OFFERS = "retention_offers"
    HANDOFFS = "handoffs"
    APPROVALS = "approvals"
    CHECKPOINT_THREADS = "checkpoint_threads"
    INBOX = "processed_messages"
    AUDIT_LOG = "audit_log"
    ACCESS_LOG = "access_log"
    CREDITS = "credit_ledger"
    CREDIT_CALL_TOTALS = "credit_call_totals"
    CREDIT_DAY_TOTALS = "credit_day_totals"
    TRACE_SPANS = "trace_spans"
    LOG_FILES = "log_files"


@dataclass(frozen=True, slots=True)
class RetentionPlan:
    """Cut-offs (aware UTC): data last touched before one is past its period."""

    now: datetime
    calls: datetime  # a call's end (or start, or newest row) and all derived from it
    money: datetime  # credit ledger, its totals, approvals that moved money
    audit: datetime
    access_log: datetime
    batch_size: int

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("the retention clock must be timezone-aware")


def plan_retention(settings: RetentionSettings, now: datetime) -> RetentionPlan:
    """The cut-offs in force at `now` (aware) under `settings`."""
    if now.tzinfo is None:
        raise ValueError("the retention clock must be timezone-aware")
    return RetentionPlan(
        now=now,
        calls=now - timedelta(days=settings.call_days),
        money=now - timedelta(days=settings.money_days),
        audit=now - timedelta(days=settings.audit_days),
        access_log=now - timedelta(days=settings.access_log_days),
        batch_size=settings.batch_size,
    )
