"""The deterministic Korean call summary (하십시오체), built only from decided facts.

It never quotes the transcript, so it cannot carry PII; it is the fallback whenever the
LLM summary is unavailable or fails validation. Its digest (headline, sections, tags, items)
is agents.summary_digest's; the items read only redacted text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agents.domain import DisputeOutcome, Intent
from agents.policies.retention import OFFERS
from agents.summary_digest import SummaryDigest, summary_digest
from agents.summary_labels import INTENT_LABELS, RULE_LABELS, object_particle

if TYPE_CHECKING:  # the graph package imports this module; avoid the cycle at run time
    from agents.graph.state import CallState, DisputeState

__all__ = [
    "INTENT_LABELS",
    "RULE_LABELS",
    "SummaryFields",
    "distinct_intents",
    "headline_dispute",
    "template_summary",
]

_SIGNAL_LABELS: dict[str, str] = {
    "port_out_intent": "번호이동 의사",
    "cancel_intent": "해지 의사",
    "competitor_mention": "경쟁사 언급",
    "price_complaint": "요금 불만",
    "unresolved_dispute": "청구 이의 미해결",
    "repeated_complaints": "반복 불만",
    "contract_ending": "약정 만료 임박",
    "negative_sentiment": "부정 감정",
    "network_complaint": "품질 불만",
    "short_tenure": "단기 가입",
}


@dataclass(frozen=True, slots=True)
class SummaryFields:
    """The six text fields of a CallSummary and its digest."""

    summary: str
    customer_request: str
    resolution: str
    follow_up: str
    sentiment: str
    churn_risk: str
    digest: SummaryDigest


def distinct_intents(state: CallState) -> list[Intent]:
    """The call's customer intents in order of first appearance."""
    seen: list[Intent] = []
    for hit in state.get("intents", []):
        intent = Intent(hit["intent"])
        if intent not in seen:
            seen.append(intent)
    return seen


def headline_dispute(disputes: Sequence[DisputeState]) -> DisputeState | None:
    """The dispute a summary leads with: the latest credit, else the latest decision."""
    credited = [d for d in disputes if d["outcome"] == DisputeOutcome.CREDIT_ISSUED]
    chosen = credited or list(disputes)
    return chosen[-1] if chosen else None


def template_summary(
    state: CallState, *, flag_threshold: float, call_date: dt.date | None = None
) -> SummaryFields:
    """Summarize a call from its state without any model.

    Args:
        state: The call's graph state.
        flag_threshold: The churn score at which a call is flagged.
        call_date: The call's (Seoul) date that relative dates resolve against; callers
            that keep the digest pass it (without it they resolve against 1970-01-01).
    """
    intents: list[Intent] = [i for i in distinct_intents(state) if i is not Intent.OTHER]
    intents = intents or [Intent.OTHER]
    topics = ", ".join(INTENT_LABELS[i] for i in intents)
    disputes = state.get("disputes", [])
    resolution, follow_up = _dispute_lines(disputes)
    if not disputes:
        resolution = f"{topics} 관련 안내를 드렸습니다."
    offer = state.get("retention_offer")
    if offer:
        # People read the offer's name; its code stays in the actions and the database.
        title = OFFERS[offer].title if offer in OFFERS else "이탈 방지 혜택"
        follow_up = f"{follow_up} {title}{object_particle(title)} 안내하였습니다.".strip()
    score = float(state.get("churn_score", 0.0))
    flagged = bool(state.get("churn_flagged")) or score >= flag_threshold
    digest = summary_digest(state, intents, call_date=call_date or dt.date(1970, 1, 1),
                            flagged=flagged)
    return SummaryFields(
        summary=f"고객이 {topics} 건으로 문의하였습니다. {resolution}",
        customer_request=f"{topics} 관련 처리를 요청하였습니다.",
        resolution=resolution,
        follow_up=follow_up or "없습니다.",
        sentiment=_sentiment(state),
        churn_risk=_churn_risk(state, score, flag_threshold),
        digest=digest,
    )


def _dispute_lines(disputes: Sequence[DisputeState]) -> tuple[str, str]:
    done: list[str] = []
    todo: list[str] = []
    for item in disputes:
        rule = RULE_LABELS.get(item["rule"], item["rule"])
        outcome, amount = item["outcome"], item["amount_krw"]
        if outcome == DisputeOutcome.CREDIT_ISSUED and item["approval_id"]:
            done.append(f"{rule} {amount:,}원 감면이 관리자 승인으로 처리되었습니다.")
            todo.append("감면 처리 결과를 고객께 안내하여 주십시오.")
        elif outcome == DisputeOutcome.CREDIT_ISSUED:
            done.append(f"{rule}로 확인되어 {amount:,}원을 감면하였습니다.")
        elif outcome == DisputeOutcome.PENDING_APPROVAL:
            done.append(f"{rule} {amount:,}원 감면은 관리자 승인을 기다리고 있습니다.")
            todo.append("관리자 승인 결과를 고객께 안내하여 주십시오.")
        elif outcome == DisputeOutcome.REJECTED:
            done.append(f"{rule} {amount:,}원 감면 요청은 관리자 검토 결과 승인되지 않았습니다.")
            todo.append("미승인 사유를 고객께 안내하여 주십시오.")
        elif outcome == DisputeOutcome.NO_INVOICE:
            done.append("확인할 청구서를 찾지 못하였습니다.")
            todo.append("본인 확인 후 청구 내역을 다시 확인하여 주십시오.")
        else:
            done.append("청구 내역이 정상으로 확인되어 내역을 설명하였습니다.")
    return " ".join(dict.fromkeys(done)), " ".join(dict.fromkeys(todo))


def _sentiment(state: CallState) -> str:
    names = {hit["name"] for hit in state.get("churn_hits", [])}
    if names & {"negative_sentiment", "price_complaint"}:
        return "부정적입니다."
    if "stay_intent" in names:
        return "긍정적입니다."
    return "중립적입니다."


def _churn_risk(state: CallState, score: float, threshold: float) -> str:
    level = "높음" if score >= threshold else "보통" if score >= threshold / 2 else "낮음"
    names = [s["name"] for s in state.get("churn_signals", []) if s.get("weight", 0) > 0]
    reasons = ", ".join(_SIGNAL_LABELS.get(name, name) for name in names[:3])
    because = f" 근거는 {reasons}입니다." if reasons else ""
    return f"{level}({score:.2f})입니다.{because}"
