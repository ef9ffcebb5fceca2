"""Request and response bodies of the HTTP API (separate from the Kafka contracts)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agents.korean import redact
from services.schemas import Speaker
from services.schemas import limits as L

CALL_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
# A chat session's graph thread is "chat-<session id>" and must still fit a 64-char call id.
SESSION_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,59}$"
ID_PATTERN = CALL_ID_PATTERN


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartCall(_Body):
    """Open a call for a known customer."""

    call_id: str | None = Field(
        default=None, pattern=CALL_ID_PATTERN, description="omitted: the API makes one (api-...)"
    )
    customer_id: str = Field(pattern=ID_PATTERN)
    source: Literal["voice", "chat"] = Field(
        default="voice",
        description="`voice`: a phone call (audio chunks or transcript lines); "
        "`chat`: a text chat session. The credit limits of the channel follow it.",
    )

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

    seq: int = Field(ge=0, le=L.MAX_UTTERANCE_SEQ, description="order within the call, from 0")
    speaker: Speaker = Field(description="`customer` or `agent` (the human agent)")
    text: str = Field(min_length=1, max_length=L.MAX_TEXT_CHARS)
    start_ms: int = Field(ge=0, le=L.MAX_CALL_MS, default=0)
    end_ms: int = Field(ge=0, le=L.MAX_CALL_MS, default=0)
    confidence: float = Field(ge=0.0, le=1.0, default=1.0)


class EndCall(_Body):
    """Close a text call; `utterances` is how many lines it had."""

    utterances: int = Field(
        ge=0, le=L.MAX_UTTERANCES_PER_CALL, description="the summary waits for seqs 0..n-1"
    )
    reason: str = Field(
        default="hangup",
        pattern=rf"^[a-z_]{{1,{L.MAX_LABEL_CHARS}}}$",
        description="free label in lower case and underscores, e.g. `hangup`, `transfer`",
    )


class Accepted(BaseModel):
    """The event is on Kafka."""

    call_id: str
    message_id: str
    status: Literal["accepted"] = "accepted"


class ApprovalDecision(_Body):
    """A supervisor's decision on a pending credit (the supervisor is the key's)."""

    approve: bool


class ChatRequest(_Body):
    """One message of an assistant chat session (the customer is the key's)."""

    text: str = Field(min_length=1, max_length=2000)
