"""The envelope every message carries: version, unique id, call id, UTC time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import Field, field_validator

from agents.domain.bounds import MAX_ID_CHARS
from agents.domain.record import Record

__all__ = ["SCHEMA_VERSION", "Envelope", "Record", "new_message_id", "utc_now"]

# The one version this build writes and reads; codec.decode dead-letters any other
# (UnknownSchemaVersion) rather than reading it as this one.
SCHEMA_VERSION = 1


def new_message_id() -> str:
    """A fresh unique message id."""
    return uuid.uuid4().hex


def utc_now() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


class Envelope(Record):
    """Fields shared by every topic's messages."""

    schema_version: int = SCHEMA_VERSION
    message_id: str = Field(default_factory=new_message_id, min_length=8, max_length=MAX_ID_CHARS)
    call_id: str = Field(min_length=1, max_length=MAX_ID_CHARS, pattern=r"^[A-Za-z0-9._:-]+$")
    occurred_at: datetime = Field(default_factory=utc_now)

    @field_validator("occurred_at")
    @classmethod
    def _must_be_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware (UTC)")
        return value.astimezone(UTC)
