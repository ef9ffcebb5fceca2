"""Wire contracts of the call topics: audio, transcripts, insights, summaries.

The enums and records inside them are the core's (agents.domain); the package re-exports them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import Field

from agents.domain.conversation import Intent, IntentTier, RevisionSource, Speaker
from agents.domain.decisions import ChurnSignal, DisputeDecision
from agents.domain.summary_items import (
    SealedIdentifier,
    SummaryItems,
    SummarySection,
)
from services.schemas import limits as L
from services.schemas.base import Envelope

__all__ = [
    "ApprovalDecided",
    "AudioChunk",
    "CallEnded",
    "CallInsight",
    "CallStarted",
    "CallSummary",
    "Redactor",
    "TranscriptEvent",
    "Utterance",
]


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
