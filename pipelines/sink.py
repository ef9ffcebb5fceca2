"""The sink stage: persists calls, utterances, insights, summaries and handoffs, each once.

Every message is applied in one transaction together with its inbox row
(processed_messages, keyed by consumer and message id), so a redelivered message is
skipped whole; the unique keys underneath (call_id, (call_id, seq), ...) keep even a
re-sent copy with a new message id from doubling anything. Nothing is held in memory,
so every handled offset may be committed and there is nothing to flush or forget.

Utterance text is redacted again before it is stored (about 0.16 ms each): entry points
redact, but a producer that skipped them must not put personal data into the table.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from agents.korean import redact
from agents.ports import Clock, SystemClock
from pipelines.stage import Incoming, Outgoing, PoisonMessage
from services.db import (
    mark_processed,
    record_call_ended,
    record_call_started,
    record_handoff,
    record_insight,
    record_summary,
    record_utterance,
)
from services.schemas import (
    ApprovalDecided,
    CallEnded,
    CallInsight,
    CallStarted,
    CallSummary,
    HandoffRequested,
    Message,
    Topic,
    Utterance,
)

__all__ = ["SinkHandler", "SinkStats"]

_log = logging.getLogger(__name__)


@dataclass(slots=True)
class SinkStats:
    """Counters for metrics and tests."""

    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    late_redactions: int = 0  # utterances that reached the sink with personal data in them


class SinkHandler:
    """Stage handler that writes the call pipeline's results to the database; emits nothing."""

    name = "sink"
    sources: tuple[Topic, ...] = (Topic.TRANSCRIPTS, Topic.INSIGHTS, Topic.SUMMARIES,
                                  Topic.HANDOFFS)

    def __init__(
        self, sessions: sessionmaker[Session], *, clock: Clock | None = None, consumer: str = "sink"
    ) -> None:
        self._sessions = sessions
        self._now = (clock or SystemClock()).now
        self._consumer = consumer
        self.stats = SinkStats()

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        """Apply one message idempotently; raises PoisonMessage for a topic it cannot store."""
        message = incoming.message
        if isinstance(message, ApprovalDecided):
            # Routed to the agent worker that owns the call; the API already stored it.
            self.stats.ignored += 1
            return []
        if isinstance(message, Utterance):
            message = self._redacted(message)
        with self._sessions.begin() as session:
            first = mark_processed(
                session, consumer=self._consumer, message_id=message.message_id, at=self._now()
            )
            if first:
                _apply(session, message)
        if first:
            self.stats.applied += 1
        else:
            self.stats.duplicates += 1
            _log.debug("sink: duplicate %s for call %s", message.message_id, message.call_id)
        return []

    def _redacted(self, utterance: Utterance) -> Utterance:
        redaction = redact(utterance.text)
        if not redaction.spans:
            return utterance
        self.stats.late_redactions += 1
        kinds = ",".join(sorted({str(span.kind) for span in redaction.spans}))
        _log.warning("sink: utterance %d of call %s carried personal data (%s); stored redacted",
                     utterance.seq, utterance.call_id, kinds)
        return utterance.model_copy(update={"text": redaction.text})

    def tick(self, now: float) -> Sequence[Outgoing]:
        """Nothing is buffered, so nothing times out."""
        return []

    def safe_offset(self, partition: int) -> int | None:
        """Every handled offset is durable: commit freely."""
        return None

    def revoke(self, partitions: Collection[int]) -> None:
        """No per-partition state to forget."""


def _apply(session: Session, message: Message) -> None:
    if isinstance(message, CallStarted):
        record_call_started(session, event=message)
    elif isinstance(message, Utterance):
        record_utterance(session, utterance=message)
    elif isinstance(message, CallEnded):
        record_call_ended(session, event=message)
    elif isinstance(message, CallInsight):
        record_insight(session, insight=message)
    elif isinstance(message, CallSummary):
        record_summary(session, summary=message)
    elif isinstance(message, HandoffRequested):
        record_handoff(session, event=message)
    else:
        raise PoisonMessage(f"sink does not store {type(message).__name__} messages")
