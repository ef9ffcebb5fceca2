"""The A-dot-style digest of a call: a headline, a section per topic, tags and items.

All of it is built by code from decided facts and from `agents.summary_items`; a model may
reword the sections later, never the items or the tags.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agents.domain import DisputeOutcome, Intent
from agents.policies.retention import OFFERS
from agents.summary_items import ExtractedItems, HeardIdentifier, extract_items
from agents.summary_labels import INTENT_LABELS, RULE_LABELS, object_particle

if TYPE_CHECKING:  # the graph package imports this module; avoid the cycle at run time
    from agents.graph.state import CallState, DisputeState

__all__ = ["CALL_ZONE", "SummaryDigest", "call_day", "digest_payload", "summary_digest"]

# Korean calls are dated by the Seoul calendar (UTC+9, no daylight saving).
CALL_ZONE = dt.timezone(dt.timedelta(hours=9), "Asia/Seoul")
_MAX_TAGS = 5
_OUTCOME_TAGS: dict[str, str] = {
    DisputeOutcome.CREDIT_ISSUED: "감면 완료",
    DisputeOutcome.PENDING_APPROVAL: "승인 대기",
    DisputeOutcome.REJECTED: "감면 미승인",
    DisputeOutcome.EXPLAINED: "정상 청구",
    DisputeOutcome.NO_INVOICE: "청구서 없음",
}


@dataclass(frozen=True, slots=True)
class SummaryDigest:
    """Headline, (topic, section text) pairs, 2-5 tags and the extracted items."""

    headline: str
    sections: tuple[tuple[str, str], ...]
    tags: tuple[str, ...]
    items: ExtractedItems


def call_day(moment: dt.datetime) -> dt.date:
    """The call's date in Seoul; a naive time is taken as UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(CALL_ZONE).date()


def summary_digest(
    state: CallState, intents: Sequence[Intent], *, call_date: dt.date, flagged: bool
) -> SummaryDigest:
    """Build the digest; `intents` are the call's topics (OTHER only when nothing else)."""
    disputes = state.get("disputes", [])
    latest = disputes[-1] if disputes else None
    offer = state.get("retention_offer")
    sections = tuple((INTENT_LABELS[i], _section(i, latest, offer)) for i in intents)
    seen = state.get("utterances", [])
    utterances = [(u["seq"], u["speaker"], u["text"]) for u in seen]
    heard = {u["seq"]: [HeardIdentifier(i["kind"], i["masked"], i.get("sealed"))
                        for i in u.get("identifiers", [])] for u in seen}
    items = extract_items(utterances, call_date, heard)
    parts = [_dispute_phrase(latest) if i is Intent.BILLING_DISPUTE and latest
             else f"{INTENT_LABELS[i]} 문의" for i in intents]
    risk = " 이탈 위험이 높습니다." if flagged else ""
    headline = f"{', '.join(parts)} 통화입니다.{risk}"
    tags = [INTENT_LABELS[i] for i in intents]
    if latest is not None:
        tags.append(_OUTCOME_TAGS.get(latest["outcome"], "청구 이의"))
    if flagged:
        tags.append("이탈 위험")
    if state.get("phishing_alert"):
        tags.append("보이스피싱 의심")
    if state.get("handoff"):
        tags.append("상담사 연결")
    tags = list(dict.fromkeys(tags))[:_MAX_TAGS]
    if len(tags) < 2:  # the format promises two: say whether anything is owed
        tags.append("후속 조치 있음" if items.actions else "후속 조치 없음")
    return SummaryDigest(headline, sections, tuple(tags), items)


def digest_payload(digest: SummaryDigest) -> dict[str, Any]:
    """The digest as CallSummary fields (headline, sections, tags, items), JSON-ready."""
    items = digest.items
    return {
        "headline": digest.headline,
        "sections": [{"topic": t, "text": x} for t, x in digest.sections],
        "tags": list(digest.tags),
        "items": {
            "dates": [{"value": d.value, "seq": d.seq} for d in items.dates],
            "amounts": [{"krw": a.krw, "seq": a.seq} for a in items.amounts],
            "identifiers": [{"kind": i.kind, "masked": i.masked, "seq": i.seq,
                             "sealed": i.sealed} for i in items.identifiers],
            "actions": [{"owner": a.owner, "action": a.action, "due": a.due,
                         "text": a.line(), "seq": a.seq} for a in items.actions],
        },
    }


def _dispute_phrase(dispute: DisputeState) -> str:
    rule = RULE_LABELS.get(dispute["rule"], "청구 이의")
    amount = f"{dispute['amount_krw']:,}원"
    outcome = dispute["outcome"]
    if outcome == DisputeOutcome.CREDIT_ISSUED:
        return f"{rule} {amount} 감면"
    if outcome == DisputeOutcome.PENDING_APPROVAL:
        return f"{rule} {amount} 감면 승인 대기"
    if outcome == DisputeOutcome.REJECTED:
        return f"{rule} {amount} 감면 미승인"
    if outcome == DisputeOutcome.NO_INVOICE:
        return "청구서를 찾지 못한 청구 이의"
    return "정상 청구 설명"


def _section(intent: Intent, dispute: DisputeState | None, offer: str | None) -> str:
    label = INTENT_LABELS[intent]
    if intent is Intent.BILLING_DISPUTE:
        if dispute is None:
            return "청구 이의를 접수하였습니다."
        return f"{_dispute_phrase(dispute)} 건을 처리하였습니다."
    if intent in (Intent.CANCELLATION, Intent.PORT_OUT):
        title = OFFERS[offer].title if offer and offer in OFFERS else None
        kept = f" {title}{object_particle(title)} 안내하였습니다." if title else ""
        return f"고객이 {label} 의사를 밝혔습니다.{kept}"
    return f"{label} 관련 안내를 드렸습니다."
