"""Live churn scoring: lexicon and profile signals into a logistic score with evidence.

How the weights were set (calibrated by hand, not fitted): the bias is the logit of a 5%
base rate, our assumption for how many inbound callers are already deciding to leave. Each
weight is the natural log of the odds ratio we assume a signal carries (explicit port-out
intent about x13, cancel intent x9, a named competitor x4, a price complaint x2.5, ...).
Weights add, so independent signals multiply the odds. The thresholds in AgentSettings
were then checked against the simulator's labelled calls: one competitor mention or one
angry sentence stays well under the 0.6 flag; cancel or port-out intent plus a competitor,
or cancel intent plus an unresolved dispute, crosses it. Refit on real outcomes before
trusting the absolute numbers; the ranking is what the live view relies on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from agents.domain import ChurnSignal, Intent

__all__ = [
    "BIAS",
    "WEIGHTS",
    "ChurnAssessment",
    "SignalHit",
    "detect_signals",
    "profile_signals",
    "score_churn",
]

BIAS = math.log(0.05 / 0.95)
WEIGHTS: dict[str, float] = {
    "port_out_intent": 2.6,
    "cancel_intent": 2.2,
    "competitor_mention": 1.4,
    "price_complaint": 0.9,
    "unresolved_dispute": 0.9,
    "repeated_complaints": 0.8,
    "contract_ending": 0.8,
    "negative_sentiment": 0.7,
    "network_complaint": 0.5,
    "short_tenure": 0.4,
    "long_tenure": -0.5,
    "stay_intent": -1.8,
}

_LEXICON: dict[str, tuple[str, ...]] = {
    "cancel_intent": ("해지", "해약", "끊고 싶", "끊을래", "그만 쓸", "탈퇴"),
    "port_out_intent": ("번호이동", "번호 이동", "통신사를 옮", "통신사 옮", "갈아타", "옮길까",
                        "넘어가려", "이동하려고"),
    "competitor_mention": ("KT", "케이티", "LG U+", "LGU+", "LG유플러스", "엘지", "유플러스",
                           "알뜰폰", "7모바일", "세븐모바일", "헬로모바일", "리브엠", "리브 엠",
                           "토스모바일", "티플러스", "다른 통신사", "타사"),
    "price_complaint": ("비싸", "요금이 너무", "부담", "저렴한", "싼 요금", "요금 폭탄",
                        "너무 많이 나"),
    "negative_sentiment": ("짜증", "화가", "화나", "황당", "어이가 없", "어이없", "실망", "불만",
                           "최악", "답답", "열받", "말이 돼", "말이 됩니까", "장난하", "사기",
                           "못 믿", "기가 막"),
    "stay_intent": ("계속 쓸게", "계속 쓰겠", "해지 안 할", "해지하지 않", "그냥 쓸게", "유지할게",
                    "유지하겠"),
}
_INTENT_SIGNAL = {
    Intent.CANCELLATION: "cancel_intent",
    Intent.PORT_OUT: "port_out_intent",
    Intent.NETWORK_QUALITY: "network_complaint",
}
_COMPLAINT_NAMES = frozenset({"negative_sentiment", "price_complaint"})
_COMPLAINT_INTENTS = frozenset({Intent.BILLING_DISPUTE, Intent.NETWORK_QUALITY})
# Latin competitor names must stand alone ("KT" inside "KTX" is a train, not a carrier).
_LATIN_WORD = re.compile(r"[A-Za-z+]+")
# Evidence longer than this is cut at the last word that fits.
_SNIPPET_MAX = 200


@dataclass(frozen=True, slots=True)
class SignalHit:
    """One signal seen in one utterance (seq -1 for profile facts)."""

    name: str
    seq: int
    evidence: str


@dataclass(frozen=True, slots=True)
class ChurnAssessment:
    """The call's churn score so far and the signals behind it."""

    score: float
    signals: tuple[ChurnSignal, ...]


def detect_signals(text: str, *, intent: Intent | None, seq: int) -> list[SignalHit]:
    """Signals in one (redacted, normalized) customer utterance; "complaint" marks count."""
    hits: list[SignalHit] = []
    for name, words in _LEXICON.items():
        span = _find(text, words)
        if span is not None:
            hits.append(SignalHit(name, seq, _snippet(text, *span)))
    if intent in _INTENT_SIGNAL and not any(h.name == _INTENT_SIGNAL[intent] for h in hits):
        hits.append(SignalHit(_INTENT_SIGNAL[intent], seq, _snippet(text, 0, len(text))))
    if intent in _COMPLAINT_INTENTS or any(h.name in _COMPLAINT_NAMES for h in hits):
        hits.append(SignalHit("complaint", seq, ""))
    return hits


def profile_signals(
    *, joined_on: date | None, contract_end: date | None, today: date, window_days: int
) -> list[SignalHit]:
    """Signals from the subscription: contract ending soon, short or long tenure."""
    hits: list[SignalHit] = []
    if contract_end is not None and 0 <= (contract_end - today).days <= window_days:
        hits.append(SignalHit("contract_ending", -1, f"약정 만료 {contract_end.isoformat()}"))
    if joined_on is not None:
        months = (today.year - joined_on.year) * 12 + today.month - joined_on.month
        if months < 12:
            hits.append(SignalHit("short_tenure", -1, f"가입 {months}개월"))
        elif months >= 60:
            hits.append(SignalHit("long_tenure", -1, f"가입 {months // 12}년"))
    return hits


def score_churn(hits: Iterable[SignalHit], *, unresolved_dispute: bool) -> ChurnAssessment:
    """Logistic score over the distinct signals of the call so far."""
    first: dict[str, SignalHit] = {}
    complaints: set[int] = set()
    for hit in hits:
        if hit.name == "complaint":
            complaints.add(hit.seq)
        else:
            first.setdefault(hit.name, hit)
    if len(complaints) >= 2:
        first["repeated_complaints"] = SignalHit("repeated_complaints", max(complaints),
                                                 f"불만 발화 {len(complaints)}회")
    if unresolved_dispute:
        first["unresolved_dispute"] = SignalHit("unresolved_dispute", -1, "청구 이의 미해결")
    logit = BIAS + sum(WEIGHTS.get(name, 0.0) for name in first)
    signals = tuple(
        ChurnSignal(name=name, weight=WEIGHTS.get(name, 0.0), evidence=_label(hit))
        for name, hit in sorted(first.items(), key=lambda item: -abs(WEIGHTS.get(item[0], 0.0)))
    )
    return ChurnAssessment(score=round(1.0 / (1.0 + math.exp(-logit)), 4), signals=signals)


def _find(text: str, words: Sequence[str]) -> tuple[int, int] | None:
    for word in words:
        start = text.find(word)
        while start >= 0:
            end = start + len(word)
            if not word.isascii() or _standalone(text, start, end):
                return start, end
            start = text.find(word, end)
    return None


def _standalone(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (_LATIN_WORD.match(before) or _LATIN_WORD.match(after))


def _snippet(text: str, start: int, end: int, pad: int = 12) -> str:
    """The hit with about `pad` characters either side, in whole words (eojeol).

    A supervisor reads the evidence; a word cut in half ("런 식이면") reads as noise. Words
    that straddle the pad are dropped, the words the hit itself touches are kept whole.
    """
    left = _word_start(text, max(0, start - pad), start)
    right = _word_end(text, min(len(text), end + pad), end)
    snippet = text[left:right].strip()
    if len(snippet) <= _SNIPPET_MAX:
        return snippet
    cut = snippet.rfind(" ", 0, _SNIPPET_MAX)
    return snippet[: cut if cut > 0 else _SNIPPET_MAX]


def _word_start(text: str, position: int, hit_start: int) -> int:
    """The first word start at or after `position`; else the start of the hit's word."""
    for index in range(position, hit_start + 1):
        if index == 0 or text[index - 1].isspace():
            return index
    index = hit_start
    while index > 0 and not text[index - 1].isspace():
        index -= 1
    return index


def _word_end(text: str, position: int, hit_end: int) -> int:
    """The last word end at or before `position`; else the end of the hit's word."""
    for index in range(position, hit_end - 1, -1):
        if index == len(text) or text[index].isspace():
            return index
    index = hit_end
    while index < len(text) and not text[index].isspace():
        index += 1
    return index


def _label(hit: SignalHit) -> str:
    return f"#{hit.seq}: {hit.evidence}" if hit.seq >= 0 else hit.evidence
