"""Wire contracts of the fraud topics: live voice-phishing alerts and guardian notices."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agents.domain.decisions import PhishingEvidence
from services.schemas import limits as L
from services.schemas.base import Envelope

__all__ = ["GuardianAlert", "PhishingAlert"]


class PhishingAlert(Envelope):
    """A call's phishing score first crossed the threshold at `utterance_seq` (once per call)."""

    kind: Literal["phishing_alert"] = "phishing_alert"
    utterance_seq: int = Field(ge=0, le=L.MAX_UTTERANCE_SEQ)
    customer_id: str | None = Field(default=None, max_length=L.MAX_ID_CHARS)
    score: float = Field(ge=0.0, le=1.0)
    threshold: float = Field(ge=0.0, le=1.0)
    evidence: list[PhishingEvidence] = Field(min_length=1, max_length=L.MAX_LIST_ITEMS)
    advice: str = Field(max_length=L.MAX_NOTE_CHARS, description="what to tell the customer")


class GuardianAlert(Envelope):
    """A notice for the customer's registered guardian; carries ids, never a phone number."""

    kind: Literal["guardian_alert"] = "guardian_alert"
    alert_id: str = Field(min_length=8, max_length=L.MAX_ID_CHARS, description="PhishingAlert id")
    customer_id: str = Field(min_length=1, max_length=L.MAX_ID_CHARS)
    guardian_id: str = Field(min_length=1, max_length=L.MAX_ID_CHARS,
                             description="the registered contact; the notifier looks it up")
    utterance_seq: int = Field(ge=0, le=L.MAX_UTTERANCE_SEQ)
    score: float = Field(ge=0.0, le=1.0)
    message: str = Field(max_length=L.MAX_NOTE_CHARS, description="the notice, in Korean")
