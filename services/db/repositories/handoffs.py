"""Handoffs to a human agent: the sink's idempotent write, the waiting queue and the claim."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from agents.ports import Clock, SystemClock
from services.db._sql import insert_ignore, rowcount
from services.db.errors import HandoffAlreadyClaimed, HandoffNotFound
from services.db.models import Call, HandoffRow
from services.db.repositories._convert import handoff_view
from services.db.views import HandoffView
from services.schemas import HandoffRequested

__all__ = ["SqlHandoffQueue", "record_handoff"]


def record_handoff(session: Session, *, event: HandoffRequested) -> bool:
    """Store the call's handoff once; a redelivery or a resend changes nothing (True if new).

    The first request of a call wins (unique call_id): the graph asks once per call, and a
    claim already made must never be reset to waiting by a late copy.
    """
    # Topics are consumed independently, so the handoff may land before its call_started.
    insert_ignore(session, Call, {"call_id": event.call_id, "status": "active"},
                  conflict=["call_id"])
    values = {
        "handoff_id": event.message_id, "call_id": event.call_id,
        "customer_id": event.customer_id, "source": event.source, "reason": event.reason.value,
        "utterance_seq": event.utterance_seq, "evidence": event.evidence,
        "message": event.message, "requested_at": event.occurred_at, "status": "waiting",
    }
    return insert_ignore(session, HandoffRow, values, conflict=["call_id"])


class SqlHandoffQueue:
    """The handoff queue human agents work from."""

    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock | None = None) -> None:
        self._sessions = sessions
        self._clock = clock or SystemClock()

    def waiting(self, *, limit: int = 100) -> list[HandoffView]:
        """Handoffs nobody has claimed yet, oldest first."""
        stmt = (select(HandoffRow).where(HandoffRow.status == "waiting")
                .order_by(HandoffRow.requested_at, HandoffRow.handoff_id).limit(limit))
        with self._sessions() as session:
            return [handoff_view(row)
                    for row in session.scalars(stmt)]

    def claim(self, *, handoff_id: str, claimed_by: str) -> HandoffView:
        """Give the handoff to `claimed_by`; exactly one claim ever succeeds.

        Raises:
            HandoffNotFound: no handoff has this id.
            HandoffAlreadyClaimed: someone (maybe the same agent) claimed it before.
        """
        with self._sessions.begin() as session:
            # One conditional UPDATE: of two agents claiming at once, the database lets one win.
            changed = rowcount(session.execute(
                update(HandoffRow)
                .where(HandoffRow.handoff_id == handoff_id, HandoffRow.status == "waiting")
                .values(status="claimed", claimed_by=claimed_by, claimed_at=self._clock.now())))
            row = session.get(HandoffRow, handoff_id)
            if row is None:
                raise HandoffNotFound(handoff_id)
            if changed != 1:
                raise HandoffAlreadyClaimed(handoff_id, row.claimed_by or "")
            return handoff_view(row)
