"""Request and response bodies of the HTTP API (separate from the Kafka contracts)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agents.korean import redact
from services.schemas import Speaker

CALL_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
# A chat session's graph thread is "chat-<session id>" and must still fit a 64-char call id.
SESSION_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,59}$"
ID_PATTERN = CALL_ID_PATTERN


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartCall(_Body):
    """Open a call for a known customer."""

    call_id: str | None = Field(default=None, pattern=CALL_ID_PATTERN)
    customer_id: str = Field(pattern=ID_PATTERN)
    source: Literal["voice", "chat"] = "voice"

    @field_validator("customer_id")
    @classmethod
    def _not_personal_data(cls, value: str) -> str:
        # An id field is no place for a phone or resident number; refusing it keeps raw
        # PII off Kafka even when a client puts it in the wrong field.
        if redact(value).spans:
            raise ValueError("customer_id looks like personal data (phone, RRN, card...)")
        return value


class TranscriptLine(_Body):
    """One utterance of a call, as text (redacted on entry)."""

    seq: int = Field(ge=0)
    speaker: Speaker
    text: str = Field(min_length=1, max_length=4000)
    start_ms: int = Field(ge=0, default=0)
    end_ms: int = Field(ge=0, default=0)
    confidence: float = Field(ge=0.0, le=1.0, default=1.0)


class EndCall(_Body):
    """Close a text call; `utterances` is how many lines it had."""

    utterances: int = Field(ge=0)
    reason: str = Field(default="hangup", pattern=r"^[a-z_]{1,64}$")


class Accepted(BaseModel):
    """The event is on Kafka."""

    call_id: str
    message_id: str
    status: str = "accepted"


class ApprovalDecision(_Body):
    """A supervisor's decision on a pending credit."""

    approve: bool
    supervisor: str = Field(min_length=1, max_length=120)


class ChatRequest(_Body):
    """One message of an assistant chat session."""

    customer_id: str = Field(pattern=ID_PATTERN)
    text: str = Field(min_length=1, max_length=2000)
