"""Wire contracts of the call topics: audio, transcripts, insights, summaries."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from services.schemas.base import Envelope, Record


class Speaker(StrEnum):
    """Which side of the call spoke (and which audio channel it came on)."""

    CUSTOMER = "customer"
    AGENT = "agent"


class Intent(StrEnum):
    """What the customer wants; the classifier's label set."""

    BILLING_DISPUTE = "billing_dispute"
    BILLING_INQUIRY = "billing_inquiry"
    PAYMENT = "payment"
    PLAN_CHANGE = "plan_change"
    CANCELLATION = "cancellation"
    PORT_OUT = "port_out"
    CONTRACT_DISCOUNT = "contract_discount"
    ROAMING = "roaming"
    DATA_USAGE = "data_usage"
    DEVICE = "device"
    NETWORK_QUALITY = "network_quality"
    VALUE_ADDED_SERVICE = "value_added_service"
    MICROPAYMENT = "micropayment"
    ACCOUNT_CHANGE = "account_change"
    OTHER = "other"


# --- calls.audio.v1 ----------------------------------------------------------------


class AudioChunk(Envelope):
    """A slice of one channel's PCM16 mono audio; travels as binary, not base64."""

    kind: Literal["audio"] = "audio"
    seq: int = Field(ge=0, description="chunk order within (call_id, channel)")
    channel: Speaker
    sample_rate: int = Field(ge=8000, le=48000)
    pcm: bytes = Field(max_length=4_000_000, description="little-endian signed 16-bit mono")
    last: bool = False


# --- calls.transcripts.v1 ----------------------------------------------------------


class CallStarted(Envelope):
    """A call began; the agent graph loads the customer."""

    kind: Literal["call_started"] = "call_started"
    customer_id: str = Field(min_length=1, max_length=64)
    source: Literal["voice", "chat"] = "voice"


class Utterance(Envelope):
    """One redacted utterance; `seq` orders a call's utterances across both speakers."""

    kind: Literal["utterance"] = "utterance"
    seq: int = Field(ge=0)
    speaker: Speaker
    text: str = Field(max_length=4000, description="PII already redacted")
    start_ms: int = Field(ge=0)
    end_ms: int = Field(ge=0)
    confidence: float = Field(ge=0.0, le=1.0)
    source: Literal["asr", "text"] = "text"


class CallEnded(Envelope):
    """A call ended; `utterances` is how many utterances the call produced in all."""

    kind: Literal["call_ended"] = "call_ended"
    utterances: int = Field(ge=0, description="the agent waits for seq 0..utterances-1")
    reason: str = "hangup"


class ApprovalDecided(Envelope):
    """A supervisor decided a pending credit; routed by call_id to the worker owning the call."""

    kind: Literal["approval_decided"] = "approval_decided"
    approval_id: str = Field(min_length=1, max_length=64)
    approved: bool
    decided_by: str = Field(min_length=1, max_length=120)


TranscriptEvent = Annotated[
    CallStarted | Utterance | CallEnded | ApprovalDecided, Field(discriminator="kind")
]


# --- calls.insights.v1 -------------------------------------------------------------


class IntentTier(StrEnum):
    """Which classifier made the call."""

    FAST = "fast"
    LLM = "llm"


class ChurnSignal(Record):
    """One piece of churn evidence with the words it rests on."""

    name: str
    weight: float
    evidence: str = Field(default="", max_length=400)


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
    rule: str = Field(description="policy rule that fired, e.g. duplicate_charge")
    amount_krw: int = Field(ge=0)
    invoice_id: str | None = None
    invoice_line_ids: list[str] = Field(default_factory=list)
    idempotency_key: str | None = None
    approval_id: str | None = None
    explanation: str = ""


class CallInsight(Envelope):
    """What the agent graph concluded after one utterance."""

    kind: Literal["insight"] = "insight"
    utterance_seq: int = Field(ge=0)
    intent: Intent
    intent_confidence: float = Field(ge=0.0, le=1.0)
    intent_tier: IntentTier
    churn_score: float = Field(ge=0.0, le=1.0)
    churn_flag: bool
    churn_signals: list[ChurnSignal] = Field(default_factory=list)
    dispute: DisputeDecision | None = None
    actions: list[str] = Field(default_factory=list)
    assist: list[str] = Field(default_factory=list, description="suggestions for the human agent")
    fallbacks: list[str] = Field(
        default_factory=list, description="why a model output was not used"
    )


# --- calls.summaries.v1 ------------------------------------------------------------


class SummarySource(StrEnum):
    """Who wrote the summary."""

    LLM = "llm"
    TEMPLATE = "template"


class CallSummary(Envelope):
    """Structured Korean post-call summary; never contains PII."""

    kind: Literal["summary"] = "summary"
    summary: str = Field(description="요약")
    customer_request: str = Field(description="고객 요청")
    resolution: str = Field(description="처리 결과")
    follow_up: str = Field(description="후속 조치")
    sentiment: str = Field(description="감정")
    churn_risk: str = Field(description="이탈 위험")
    intents: list[Intent] = Field(default_factory=list)
    churn_score: float = Field(ge=0.0, le=1.0)
    dispute: DisputeDecision | None = None
    source: SummarySource
    fallback_reason: str | None = None
    utterances: int = Field(ge=0)
