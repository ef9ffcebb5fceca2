"""A call's lifecycle as the API enforces it: not started, started, ended.

Ingestion writes to a call only while it is started: an utterance, an audio chunk or an
end for a call never started is a 404 (start it with `POST /v1/calls` first), and for a
call that already ended a 409. The phase is read from the `calls` row, which the API
writes itself when it accepts a start or an end (the sink later writes the same facts
from Kafka, idempotently), so a client that gets its 202 for the start can post its
first utterance at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.api.errors import Conflict, NotFound

__all__ = ["CallPhase", "CallRecord", "check_can_start", "check_can_write"]


class CallPhase(StrEnum):
    """Where a call stands for ingestion."""

    NOT_STARTED = "not_started"  # no row, or only a stub a child message left behind
    STARTED = "started"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class CallRecord:
    """What ingestion needs to know of a call."""

    phase: CallPhase
    customer_id: str | None = None


def check_can_write(call_id: str, record: CallRecord) -> None:
    """Refuse utterances, audio and ends of a call that is not started (404) or ended (409)."""
    if record.phase is CallPhase.NOT_STARTED:
        raise NotFound(f"통화 {call_id}는 시작되지 않았습니다. 먼저 POST /v1/calls로 통화를 "
                       "시작해 주세요 (call not started)")
    if record.phase is CallPhase.ENDED:
        raise Conflict(f"통화 {call_id}는 이미 종료되었습니다 (call already ended)")


def check_can_start(call_id: str, record: CallRecord, *, customer_id: str) -> None:
    """Refuse to start an ended call, or a started one for another customer (409)."""
    if record.phase is CallPhase.ENDED:
        raise Conflict(f"통화 {call_id}는 이미 종료되었습니다 (call already ended)")
    if record.phase is CallPhase.STARTED and record.customer_id not in (None, customer_id):
        raise Conflict(f"통화 {call_id}는 다른 고객으로 이미 시작되었습니다 "
                       "(call already started for another customer)")
