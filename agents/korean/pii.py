"""Korean PII redaction (placeholder implementation; being filled in)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["PiiKind", "PiiSpan", "Redaction", "redact"]


class PiiKind(StrEnum):
    """Kinds of personal data the redactor finds."""

    RRN = "rrn"
    FRN = "frn"
    PHONE = "phone"
    CARD = "card"
    ACCOUNT = "account"
    EMAIL = "email"
    PASSPORT = "passport"
    DRIVER_LICENSE = "driver_license"
    NAME = "name"
    ADDRESS = "address"


@dataclass(frozen=True)
class PiiSpan:
    """One redacted span; offsets index the original text."""

    start: int
    end: int
    kind: PiiKind
    placeholder: str


@dataclass(frozen=True)
class Redaction:
    """Redacted text and the spans that were replaced."""

    text: str
    spans: tuple[PiiSpan, ...]


def redact(text: str) -> Redaction:
    """Return `text` with personal data replaced by typed Korean placeholders."""
    return Redaction(text=text, spans=())
