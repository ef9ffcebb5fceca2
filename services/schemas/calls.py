"""Wire contracts of the call topics: audio, transcripts, insights, summaries."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from services.schemas import limits as L
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
    seq: int = Field(ge=0, le=L.MAX_AUDIO_SEQ, description="chunk order within (call_id, channel)")
    channel: Speaker
    sample_rate: int = Field(ge=L.MIN_SAMPLE_RATE, le=L.MAX_SAMPLE_RATE)
    pcm: bytes = Field(
        max_length=L.MAX_AUDIO_PCM_BYTES, description="little-endian signed 16-bit mono"
    )
    last: bool = False


# --- calls.transcripts.v1 ----------------------------------------------------------


class CallStarted(Envelope):
    """A call began; the agent graph loads the customer."""

    kind: Literal["call_started"] = "call_started"
    customer_id: str = Field(min_length=1, max_length=L.MAX_ID_CHARS)
    source: Literal["voice", "chat"] = "voice"


IdentifierKind = Literal["phone", "account", "card", "rrn", "frn", "passport", "driver_license"]
_SEALED_PATTERN = r"^v1\.[A-Za-z0-9_-]+$"


class SealedIdentifier(Record):
    """An identifier the redactor took out of an utterance, as only its owner may read it.

    `masked` is what anyone may see ("010-****-5678"); `sealed` is the value encrypted for
    the call's owner (AES-256-GCM, see services.privacy), None when no key was configured.
    Listed in the order of the text's placeholders of the same kind.
    """

    kind: IdentifierKind
    masked: str = Field(max_length=L.MAX_LABEL_CHARS)
    sealed: str | None = Field(
        default=None, max_length=L.MAX_SEALED_CHARS, pattern=_SEALED_PATTERN
    )


Redactor = Callable[[str], tuple[str, list[SealedIdentifier]]]
"""What entry points redact with: redacted text and the identifiers behind its placeholders."""


class Utterance(Envelope):
    """One redacted utterance; `seq` orders a call's utterances across both speakers."""

    kind: Literal["utterance"] = "utterance"
    seq: int = Field(ge=0, le=L.MAX_UTTERANCE_SEQ)
    speaker: Speaker
    text: str = Field(max_length=L.MAX_TEXT_CHARS, description="PII already redacted")
    start_ms: int = Field(ge=0, le=L.MAX_CALL_MS)
    end_ms: int = Field(ge=0, le=L.MAX_CALL_MS)
    confidence: float = Field(ge=0.0, le=1.0)
    source: Literal["asr", "text"] = "text"
    identifiers: list[SealedIdentifier] = Field(
        default_factory=list, max_length=L.MAX_IDENTIFIERS_PER_UTTERANCE,
        description="identifiers behind the text's placeholders, masked and sealed",
    )


class CallEnded(Envelope):
    """A call ended; `utterances` is how many utterances the call produced in all."""

    kind: Literal["call_ended"] = "call_ended"
    utterances: int = Field(
        ge=0, le=L.MAX_UTTERANCES_PER_CALL, description="the agent waits for seq 0..utterances-1"
    )
    reason: str = Field(default="hangup", min_length=1, max_length=L.MAX_LABEL_CHARS)


class ApprovalDecided(Envelope):
    """A supervisor decided a pending credit; routed by call_id to the worker owning the call."""

    kind: Literal["approval_decided"] = "approval_decided"
    approval_id: str = Field(min_length=1, max_length=L.MAX_ID_CHARS)
    approved: bool
    decided_by: str = Field(min_length=1, max_length=L.MAX_NAME_CHARS)


TranscriptEvent = Annotated[
    CallStarted | Utterance | CallEnded | ApprovalDecided, Field(discriminator="kind")
]


# --- calls.insights.v1 -------------------------------------------------------------

_Note = Annotated[str, Field(max_length=L.MAX_NOTE_CHARS)]


class IntentTier(StrEnum):
    """Which classifier made the call."""

    FAST = "fast"
    LLM = "llm"


class RevisionSource(StrEnum):
    """Who wrote a revision of an insight or summary: the rules (first) or the model (later)."""

    RULES = "rules"
    MODEL = "model"
    # Older names of the same two values, kept for readers of summaries.
    TEMPLATE = "rules"
    LLM = "model"


SummarySource = RevisionSource


class ChurnSignal(Record):
    """One piece of churn evidence with the words it rests on."""

    name: str = Field(min_length=1, max_length=L.MAX_LABEL_CHARS)
    weight: float = Field(ge=-L.MAX_CHURN_WEIGHT, le=L.MAX_CHURN_WEIGHT)
    evidence: str = Field(default="", max_length=L.MAX_EVIDENCE_CHARS)


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
        max_length=L.MAX_LABEL_CHARS, description="policy rule that fired, e.g. duplicate_charge"
    )
    amount_krw: int = Field(ge=0, le=L.MAX_AMOUNT_KRW)
    invoice_id: str | None = Field(default=None, max_length=L.MAX_ID_CHARS)
    invoice_line_ids: list[Annotated[str, Field(max_length=L.MAX_ID_CHARS)]] = Field(
        default_factory=list, max_length=L.MAX_LIST_ITEMS
    )
    idempotency_key: str | None = Field(default=None, max_length=L.MAX_KEY_CHARS)
    approval_id: str | None = Field(default=None, max_length=L.MAX_ID_CHARS)
    explanation: str = Field(default="", max_length=L.MAX_TEXT_CHARS)


class CallInsight(Envelope):
    """What the agent graph concluded after one utterance."""

    kind: Literal["insight"] = "insight"
    utterance_seq: int = Field(ge=0, le=L.MAX_UTTERANCE_SEQ)
    intent: Intent
    intent_confidence: float = Field(ge=0.0, le=1.0)
    intent_tier: IntentTier
    churn_score: float = Field(ge=0.0, le=1.0)
    churn_flag: bool
    churn_signals: list[ChurnSignal] = Field(default_factory=list, max_length=L.MAX_LIST_ITEMS)
    dispute: DisputeDecision | None = None
    actions: list[_Note] = Field(default_factory=list, max_length=L.MAX_LIST_ITEMS)
    assist: list[_Note] = Field(
        default_factory=list,
        max_length=L.MAX_LIST_ITEMS,
        description="suggestions for the human agent",
    )
    fallbacks: list[_Note] = Field(
        default_factory=list,
        max_length=L.MAX_LIST_ITEMS,
        description="why a model output was not used",
    )
    revision: int = Field(
        default=0, ge=0, le=1000, description="0 = the rules' insight; later = model rewordings"
    )
    source: RevisionSource = RevisionSource.RULES
    model_tokens: int = Field(
        default=0, ge=0, le=10_000_000, description="prompt + completion tokens of this revision"
    )


# --- calls.summaries.v1 ------------------------------------------------------------

_ISO_DAY = r"\d{4}-\d{2}-\d{2}"


class SummarySection(Record):
    """One topic of the call (an intent) and its short summary."""

    topic: str = Field(min_length=1, max_length=L.MAX_LABEL_CHARS)
    text: str = Field(min_length=1, max_length=L.MAX_NOTE_CHARS)


class MentionedDate(Record):
    """A date ("2026-12-08") or moment ("2026-12-08T15:30") said in the call, resolved."""

    value: str = Field(pattern=rf"^{_ISO_DAY}(T\d{{2}}:\d{{2}})?$", max_length=16)
    seq: int = Field(ge=0, le=L.MAX_UTTERANCE_SEQ)


class MentionedAmount(Record):
    """An amount of money said in the call, in won."""

    krw: int = Field(ge=0, le=L.MAX_AMOUNT_KRW)
    seq: int = Field(ge=0, le=L.MAX_UTTERANCE_SEQ)


class MentionedIdentifier(Record):
    """An identifier said in the call: its kind, masked form and the owner's sealed value.

    The API drops `sealed` for everyone and opens it only for the call's own customer.
    """

    kind: str = Field(max_length=L.MAX_LABEL_CHARS)
    masked: str = Field(max_length=L.MAX_LABEL_CHARS)
    seq: int = Field(ge=0, le=L.MAX_UTTERANCE_SEQ)
    sealed: str | None = Field(
        default=None, max_length=L.MAX_SEALED_CHARS, pattern=_SEALED_PATTERN
    )


class FollowUpAction(Record):
    """A duty someone owes after the call; `text` is its Korean line."""

    owner: Literal["customer", "agent", "company"]
    action: str = Field(max_length=L.MAX_LABEL_CHARS)
    due: str | None = Field(default=None, pattern=rf"^{_ISO_DAY}$")
    text: str = Field(max_length=L.MAX_NOTE_CHARS)
    seq: int = Field(ge=0, le=L.MAX_UTTERANCE_SEQ)


class SummaryItems(Record):
    """What the call mentioned, extracted by code (agents.summary_items)."""

    dates: list[MentionedDate] = Field(default_factory=list, max_length=L.MAX_LIST_ITEMS)
    amounts: list[MentionedAmount] = Field(default_factory=list, max_length=L.MAX_LIST_ITEMS)
    identifiers: list[MentionedIdentifier] = Field(
        default_factory=list, max_length=L.MAX_LIST_ITEMS
    )
    actions: list[FollowUpAction] = Field(default_factory=list, max_length=L.MAX_LIST_ITEMS)


class CallSummary(Envelope):
    """Structured Korean post-call summary; never contains PII."""

    kind: Literal["summary"] = "summary"
    summary: str = Field(max_length=L.MAX_TEXT_CHARS, description="요약")
    customer_request: str = Field(max_length=L.MAX_TEXT_CHARS, description="고객 요청")
    resolution: str = Field(max_length=L.MAX_TEXT_CHARS, description="처리 결과")
    follow_up: str = Field(max_length=L.MAX_TEXT_CHARS, description="후속 조치")
    sentiment: str = Field(max_length=L.MAX_TEXT_CHARS, description="감정")
    churn_risk: str = Field(max_length=L.MAX_TEXT_CHARS, description="이탈 위험")
    intents: list[Intent] = Field(default_factory=list, max_length=L.MAX_LIST_ITEMS)
    churn_score: float = Field(ge=0.0, le=1.0)
    dispute: DisputeDecision | None = None
    source: RevisionSource
    fallback_reason: str | None = Field(default=None, max_length=L.MAX_NOTE_CHARS)
    utterances: int = Field(ge=0, le=L.MAX_UTTERANCES_PER_CALL)
    revision: int = Field(
        default=0, ge=0, le=1000, description="0 = the rules' summary; later = model rewordings"
    )
    model_tokens: int = Field(
        default=0, ge=0, le=10_000_000, description="prompt + completion tokens of this revision"
    )
    missing_utterances: list[Annotated[int, Field(ge=0, le=L.MAX_UTTERANCE_SEQ)]] = Field(
        default_factory=list,
        max_length=1000,
        description="seqs that never arrived before the end-of-call grace ran out",
    )
    # The digest (issue 14); optional with empty defaults so older summaries still decode.
    headline: str = Field(default="", max_length=L.MAX_NOTE_CHARS, description="한 줄 요약")
    sections: list[SummarySection] = Field(
        default_factory=list, max_length=L.MAX_LIST_ITEMS, description="주제별 요약"
    )
    tags: list[Annotated[str, Field(min_length=1, max_length=L.MAX_LABEL_CHARS)]] = Field(
        default_factory=list, max_length=5, description="태그 (2-5개)"
    )
    items: SummaryItems = Field(default_factory=SummaryItems, description="언급된 항목")
