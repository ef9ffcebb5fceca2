"""What a call mentioned: sealed identifiers, dates, amounts, follow-ups, summary sections."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agents.domain import bounds as B
from agents.domain.record import Record

__all__ = [
    "SEALED_PATTERN",
    "FollowUpAction",
    "IdentifierKind",
    "MentionedAmount",
    "MentionedDate",
    "MentionedIdentifier",
    "SealedIdentifier",
    "SummaryItems",
    "SummarySection",
]

IdentifierKind = Literal["phone", "account", "card", "rrn", "frn", "passport", "driver_license"]
#: A sealed value: format version, then base64url (see services.privacy).
SEALED_PATTERN = r"^v1\.[A-Za-z0-9_-]+$"
_ISO_DAY = r"\d{4}-\d{2}-\d{2}"


class SealedIdentifier(Record):
    """An identifier the redactor took out of an utterance, as only its owner may read it.

    `masked` is what anyone may see ("010-****-5678"); `sealed` is the value encrypted for
    the call's owner (AES-256-GCM, see services.privacy), None when no key was configured.
    Listed in the order of the text's placeholders of the same kind.
    """

    kind: IdentifierKind
    masked: str = Field(max_length=B.MAX_LABEL_CHARS)
    sealed: str | None = Field(default=None, max_length=B.MAX_SEALED_CHARS, pattern=SEALED_PATTERN)


class SummarySection(Record):
    """One topic of the call (an intent) and its short summary."""

    topic: str = Field(min_length=1, max_length=B.MAX_LABEL_CHARS)
    text: str = Field(min_length=1, max_length=B.MAX_NOTE_CHARS)


class MentionedDate(Record):
    """A date ("2026-12-08") or moment ("2026-12-08T15:30") said in the call, resolved."""

    value: str = Field(pattern=rf"^{_ISO_DAY}(T\d{{2}}:\d{{2}})?$", max_length=16)
    seq: int = Field(ge=0, le=B.MAX_UTTERANCE_SEQ)


class MentionedAmount(Record):
    """An amount of money said in the call, in won."""

    krw: int = Field(ge=0, le=B.MAX_AMOUNT_KRW)
    seq: int = Field(ge=0, le=B.MAX_UTTERANCE_SEQ)


class MentionedIdentifier(Record):
    """An identifier said in the call: its kind, masked form and the owner's sealed value.

    The API drops `sealed` for everyone and opens it only for the call's own customer.
    """

    kind: str = Field(max_length=B.MAX_LABEL_CHARS)
    masked: str = Field(max_length=B.MAX_LABEL_CHARS)
    seq: int = Field(ge=0, le=B.MAX_UTTERANCE_SEQ)
    sealed: str | None = Field(default=None, max_length=B.MAX_SEALED_CHARS, pattern=SEALED_PATTERN)


class FollowUpAction(Record):
    """A duty someone owes after the call; `text` is its Korean line."""

    owner: Literal["customer", "agent", "company"]
    action: str = Field(max_length=B.MAX_LABEL_CHARS)
    due: str | None = Field(default=None, pattern=rf"^{_ISO_DAY}$")
    text: str = Field(max_length=B.MAX_NOTE_CHARS)
    seq: int = Field(ge=0, le=B.MAX_UTTERANCE_SEQ)


class SummaryItems(Record):
    """What the call mentioned, extracted by code (agents.summary_items)."""

    dates: list[MentionedDate] = Field(default_factory=list, max_length=B.MAX_LIST_ITEMS)
    amounts: list[MentionedAmount] = Field(default_factory=list, max_length=B.MAX_LIST_ITEMS)
    identifiers: list[MentionedIdentifier] = Field(
        default_factory=list, max_length=B.MAX_LIST_ITEMS
    )
    actions: list[FollowUpAction] = Field(default_factory=list, max_length=B.MAX_LIST_ITEMS)
