"""The calls table as ingestion's registry: phases, and the starts and ends the API accepted."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from services.api.lifecycle import CallPhase, CallRecord
from services.api.read_model import database_errors
from services.db import SqlCallStore
from services.db.models import Call
from services.schemas import CallEnded, CallStarted

__all__ = ["SqlCallRegistry"]


class SqlCallRegistry:
    """Reads and writes call rows with the sink's own idempotent writes."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._calls = SqlCallStore(sessions)

    def record(self, call_id: str) -> CallRecord:
        """The call's phase and customer."""
        with database_errors(), self._sessions() as session:
            row = session.get(Call, call_id)
            if row is None or row.started_at is None:
                return CallRecord(CallPhase.NOT_STARTED)
            ended = row.status == "ended" or row.ended_at is not None
            return CallRecord(CallPhase.ENDED if ended else CallPhase.STARTED, row.customer_id)

    def started(self, event: CallStarted) -> None:
        """The API accepted the start (a repeated start changes nothing)."""
        with database_errors():
            self._calls.record_call_started(event=event)

    def ended(self, event: CallEnded) -> None:
        """The API accepted the end (only the first end counts)."""
        with database_errors():
            self._calls.record_call_ended(event=event)
