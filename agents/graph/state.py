"""The graph's typed state: one call (or chat session) per thread, plain JSON-ready values.

State holds only plain dicts, lists, strings and numbers: the checkpointer stores them
without a type allow-list, and a checkpoint written by one release still loads after a
class is renamed. Lists that accumulate over the call have reducers; per-turn fields are
plain values that the first node of each turn resets.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, NotRequired, TypedDict

__all__ = [
    "MAX_INSIGHTS_KEPT",
    "MAX_UTTERANCES_KEPT",
    "CallInput",
    "CallState",
    "ChurnHitState",
    "ClaimState",
    "DisputeState",
    "EventInput",
    "IntentHit",
    "KeptIdentifier",
    "NoteRecord",
    "PhishingCueState",
    "Profile",
    "SeenUtterance",
    "VerdictState",
]

MAX_UTTERANCES_KEPT = 40
MAX_INSIGHTS_KEPT = 16

EventKind = Literal["start", "utterance", "end"]


class EventInput(TypedDict, total=False):
    """What arrived: the graph's input for one invocation."""

    kind: EventKind
    message_id: str
    customer_id: str
    source: Literal["voice", "chat"]
    seq: int
    speaker: str
    text: str
    identifiers: list[KeptIdentifier]
    utterances: int


class Profile(TypedDict):
    """Subscription facts the churn score needs; never name, phone or other PII."""

    plan_id: str | None
    segment: str
    joined_on: str | None
    contract_end: str | None


class KeptIdentifier(TypedDict):
    """An identifier behind a placeholder: masked, and sealed for the owner (or None)."""

    kind: str
    masked: str
    sealed: str | None


class SeenUtterance(TypedDict):
    """One redacted utterance kept for the summary (the last MAX_UTTERANCES_KEPT)."""

    seq: int
    speaker: str
    text: str
    identifiers: NotRequired[list[KeptIdentifier]]


class IntentHit(TypedDict):
    """The intent of one customer utterance."""

    seq: int
    intent: str
    confidence: float
    tier: str


class ClaimState(TypedDict):
    """What the customer disputes; `source` says who understood it."""

    period: str | None
    charge_kind: str | None
    amount_krw: int | None
    anomaly_hint: str | None
    source: Literal["rules", "llm", "none"]
    contested: NotRequired[bool]  # "잘못 청구됐어요" without naming the charge


class VerdictState(TypedDict):
    """The dispute policy's verdict for this turn (see agents.policies.disputes)."""

    action: Literal["credit", "approval", "explain", "no_invoice"]
    rule: str
    amount_krw: int
    invoice_id: str | None
    evidence_line_ids: list[str]
    confidence: Literal["clear", "unclear"]
    idempotency_key: str | None
    note: str
    other_rules: list[str]


class DisputeState(TypedDict):
    """A decided dispute: a DisputeDecision plus where it came from."""

    seq: int
    claim: ClaimState
    outcome: str
    rule: str
    amount_krw: int
    invoice_id: str | None
    invoice_line_ids: list[str]
    confidence: str
    idempotency_key: str | None
    approval_id: str | None
    credit_id: str | None
    explanation: str


class NoteRecord(TypedDict):
    """An action taken or a fallback used, tagged with the utterance it belongs to."""

    seq: int
    node: str
    text: str


class ChurnHitState(TypedDict):
    """One churn signal seen in one utterance (seq -1: from the profile)."""

    name: str
    seq: int
    evidence: str


class PhishingCueState(TypedDict):
    """One phishing cue (agents.policies.phishing.Cue) kept as the call's evidence."""

    signal: str
    seq: int
    start: int
    end: int
    text: str


def keep_recent_utterances(
    left: list[SeenUtterance], right: list[SeenUtterance]
) -> list[SeenUtterance]:
    """Append, drop a repeated seq, keep the newest MAX_UTTERANCES_KEPT."""
    seen = {item["seq"] for item in left}
    merged = left + [item for item in right if item["seq"] not in seen]
    return merged[-MAX_UTTERANCES_KEPT:]


def union_seqs(left: list[int], right: list[int]) -> list[int]:
    """The sorted union of processed utterance seqs."""
    return sorted(set(left) | set(right))


def keep_recent_insights(
    left: dict[str, dict[str, Any]], right: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Insights by seq (as str), the newest MAX_INSIGHTS_KEPT, for re-emission on redelivery."""
    merged = {**left, **right}
    newest = sorted(merged, key=int)[-MAX_INSIGHTS_KEPT:]
    return {key: merged[key] for key in newest}


def upsert_disputes(left: list[DisputeState], right: list[DisputeState]) -> list[DisputeState]:
    """Disputes keyed by idempotency key (else seq): a newer decision replaces an older one.

    The list stays in decision order (a replaced decision moves to the end), so the last
    item is the latest decision.
    """
    merged: dict[str, DisputeState] = {}
    for item in left + right:
        key = item["idempotency_key"] or f"seq:{item['seq']}"
        merged.pop(key, None)
        merged[key] = item
    return list(merged.values())


class CallInput(TypedDict, total=False):
    """The call graph's input: one call event (or a run of turns); the rest is state."""

    call_id: str
    event: EventInput
    queue: list[EventInput] | None
    batch_duplicates: list[int]


class CallState(TypedDict, total=False):
    """Everything the graph knows about one call; thread_id = call_id."""

    # identity and permissions
    call_id: str
    customer_id: str
    source: Literal["voice", "chat"]
    profile: Profile | None
    # the event being handled
    event: EventInput
    # this turn (reset by redact_pii)
    duplicate: bool
    seq: int
    speaker: str
    text: str
    normalized: str
    intent: str
    intent_confidence: float
    intent_tier: str
    claim: ClaimState | None
    evidence: dict[str, Any] | None
    verdict: VerdictState | None
    dispute: DisputeState | None
    answer: str | None
    assist: list[str]
    # the call so far
    utterances: Annotated[list[SeenUtterance], keep_recent_utterances]
    intents: Annotated[list[IntentHit], operator.add]
    churn_hits: Annotated[list[ChurnHitState], operator.add]
    churn_score: float
    churn_flagged: bool
    churn_signals: list[dict[str, Any]]
    retention_offer: str | None
    call_claim: ClaimState | None  # the claim understood so far, merged over the call's turns
    disputes: Annotated[list[DisputeState], upsert_disputes]
    credited_krw: int
    actions: Annotated[list[NoteRecord], operator.add]
    fallbacks: Annotated[list[NoteRecord], operator.add]
    processed_seqs: Annotated[list[int], union_seqs]
    insights: Annotated[dict[str, dict[str, Any]], keep_recent_insights]
    summary: dict[str, Any] | None
    # voice phishing (agents.graph.nodes.phishing): every turn, both speakers
    phishing_cues: list[PhishingCueState]  # first cue per signal, so at most one per signal
    phishing_carry: str  # the previous utterance's tail, for a phrase cut in two
    phishing_score: float
    phishing_alert: dict[str, Any] | None  # the call's one PhishingAlert, once it is out
    guardian_alert: dict[str, Any] | None
    # handoff to a human agent (agents.graph.nodes.handoff): customer turns
    handoff: dict[str, Any] | None  # the call's one HandoffRequested, once it is out
    handoff_streak: int  # consecutive unhelped customer turns (agents.policies.handoff)
    handoff_last_answer: str | None  # the previous customer turn's answer
    # a run over several turns of the call (agents.graph.session.handle_turns)
    queue: list[EventInput] | None  # turns still to run after this one; None: one event
    batch_duplicates: list[int]  # seqs of this run's turns that were redeliveries
