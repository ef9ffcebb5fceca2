"""Checks a model's wording must pass before it may replace the rules' text.

The model words, the code decides: a rewording is rejected when it carries PII, is not
polite Korean, was cut at its length cap, states a number the rules' facts and the
transcript do not contain (money only from the facts), or announces a decision the
rules did not make. Every pattern here is linear (no nested quantifiers), since model
output is untrusted input too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agents.domain import DisputeOutcome
from agents.korean import normalize, redact

__all__ = ["decision_contradiction", "numbers_outside", "pii_in", "polite_problem"]

_NUMBER = re.compile(r"\d[\d,]{0,15}")
_MONEY = re.compile(r"(\d[\d,]{0,15})\s?원")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")
_POLITE_ENDS = ("요", "니다", "니까", "시오", "세요")
_CREDIT_WORDS = ("감면해", "감면하였", "감면되었", "감면 처리", "환불해", "환불되었", "환불 처리",
                 "보상해", "돌려드")
_APPROVAL_WORDS = ("승인 후", "승인을 기다", "승인 대기", "검토 후")
_CREDITING = {DisputeOutcome.CREDIT_ISSUED, DisputeOutcome.PENDING_APPROVAL}


def pii_in(texts: Iterable[str]) -> bool:
    """Whether any text holds PII, or a redaction placeholder the model copied."""
    return any(redact(text).spans or "[" in text for text in texts)


def polite_problem(text: str) -> str | None:
    """Why `text` is not finished, polite Korean (None when it is)."""
    stripped = text.strip()
    if not stripped or stripped[-1] not in ".!?다요":
        return "truncated"
    for sentence in _SENTENCE_SPLIT.split(stripped):
        body = sentence.rstrip(".!? ")
        if body and not body.endswith(_POLITE_ENDS):
            return "not_polite"
    return None


def numbers_outside(text: str, *, facts: str, transcript: str = "") -> str | None:
    """A number in `text` that its sources do not hold; amounts must come from the facts."""
    said = normalize(text)
    allowed_money = {_value(m) for m in _MONEY.findall(normalize(facts))}
    for match in _MONEY.findall(said):
        if _value(match) not in allowed_money:
            return f"amount_not_in_rules:{_value(match)}"
    allowed = {_value(m) for m in _NUMBER.findall(normalize(f"{facts}\n{transcript}"))}
    for match in _NUMBER.findall(said):
        if _value(match) not in allowed:
            return f"number_not_in_sources:{_value(match)}"
    return None


def decision_contradiction(text: str, outcome: DisputeOutcome | None) -> str | None:
    """A credit or approval the text announces that the rules' outcome does not hold."""
    if outcome not in _CREDITING and any(word in text for word in _CREDIT_WORDS):
        return "credit_not_decided"
    if outcome is not DisputeOutcome.PENDING_APPROVAL and any(w in text for w in _APPROVAL_WORDS):
        return "approval_not_decided"
    return None


def _value(token: str) -> int:
    return int(token.replace(",", "") or 0)
