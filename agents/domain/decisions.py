"""Verdicts and evidence: churn signals, phishing cues, dispute decisions, handoff reasons."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from agents.domain import bounds as B
from agents.domain.record import Record

__all__ = [
    "ChurnSignal",
    "DisputeDecision",
    "DisputeOutcome",
    "HandoffReason",
    "PhishingEvidence",
]


class ChurnSignal(Record):
    """One piece of churn evidence with the words it rests on."""

    name: str = Field(min_length=1, max_length=B.MAX_LABEL_CHARS)
    weight: float = Field(ge=-B.MAX_CHURN_WEIGHT, le=B.MAX_CHURN_WEIGHT)
    evidence: str = Field(default="", max_length=B.MAX_EVIDENCE_CHARS)


class PhishingEvidence(Record):
    """One scam cue: the signal, the utterance and the span of its (redacted) words."""

    signal: str = Field(min_length=1, max_length=B.MAX_LABEL_CHARS)
    utterance_seq: int = Field(ge=0, le=B.MAX_UTTERANCE_SEQ)
    start: int = Field(ge=0, le=B.MAX_TEXT_CHARS)
    end: int = Field(ge=0, le=B.MAX_TEXT_CHARS)
    text: str = Field(max_length=B.MAX_EVIDENCE_CHARS, description="the words, PII redacted")
    weight: float = Field(ge=-B.MAX_CHURN_WEIGHT, le=B.MAX_CHURN_WEIGHT)

    @model_validator(mode="after")
    def _ordered(self) -> PhishingEvidence:
        if self.end < self.start:
            raise ValueError("evidence end before its start")
        return self


class DisputeOutcome(StrEnum):
    """What the policy decided for a billing dispute."""

    CREDIT_ISSUED = "credit_issued"
    PENDING_APPROVAL = "pending_approval"
    EXPLAINED = "explained"
    NO_INVOICE = "no_invoice"
    REJECTED = "rejected"


class DisputeDecision(Record):
    """The deterministic policy's verdict on a claim; the LLM only words the explanation."""

    outcome: DisputeOutcome
    rule: str = Field(
        max_length=B.MAX_LABEL_CHARS, description="policy rule that fired, e.g. duplicate_charge"
    )
    amount_krw: int = Field(ge=0, le=B.MAX_AMOUNT_KRW)
    invoice_id: str | None = Field(default=None, max_length=B.MAX_ID_CHARS)
    invoice_line_ids: list[Annotated[str, Field(max_length=B.MAX_ID_CHARS)]] = Field(
        default_factory=list, max_length=B.MAX_LIST_ITEMS
    )
    idempotency_key: str | None = Field(default=None, max_length=B.MAX_KEY_CHARS)
    approval_id: str | None = Field(default=None, max_length=B.MAX_ID_CHARS)
    explanation: str = Field(default="", max_length=B.MAX_TEXT_CHARS)


class HandoffReason(StrEnum):
    """Why the graph handed the conversation to a person."""

    CUSTOMER_REQUEST = "customer_request"  # the customer asked for a person
    REPEATED_FAILURE = "repeated_failure"  # the graph could not help, turn after turn
    CHURN_DISPUTE = "churn_dispute"  # flagged for churn with a dispute still unresolved
