"""Wire contract of calls.handoffs.v1: a call or chat handed to a human agent, once per call."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agents.domain.decisions import HandoffReason
from services.schemas import limits as L
from services.schemas.base import Envelope

__all__ = ["HandoffRequested"]


class HandoffRequested(Envelope):
    """The call's one handoff; message_id is derived from call_id, so a resend is the same."""

    kind: Literal["handoff_requested"] = "handoff_requested"
    utterance_seq: int = Field(ge=0, le=L.MAX_UTTERANCE_SEQ, description="the deciding turn")
    customer_id: str | None = Field(default=None, max_length=L.MAX_ID_CHARS)
    source: Literal["voice", "chat"] = "voice"
    reason: HandoffReason
    evidence: str = Field(default="", max_length=L.MAX_EVIDENCE_CHARS,
                          description="the words or signals behind it, PII redacted")
    message: str = Field(max_length=L.MAX_NOTE_CHARS, description="what the customer was told")
