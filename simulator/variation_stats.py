"""How often each kind of variation appears in generated calls, counted from text and truth.

The README's audit table and the rate tests read these counts, so the figures are measured
over generated calls rather than taken from the mix's nominal rates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from services.schemas import Speaker
from simulator import phrases
from simulator.phrases import variation as v
from simulator.scenarios import ScriptedCall
from simulator.variation import complaint_phrases

__all__ = ["LOANWORDS", "call_features", "variation_rates"]

LOANWORDS = ("데이터", "로밍", "유심", "이심", "앱", "업그레이드", "와이파이", "5G", "LTE")
_STUTTER = re.compile(r"^([가-힣])(?:, |… )\1")
_CORRECTION = re.compile(r", 아니 |… 아 아니다, |, 아 그게 아니라 ")
_HANGUL_WON = re.compile(r"[일이삼사오육칠팔구십백천만]+ 원")
_HANGUL_DIGITS = re.compile(r"공일공|[공일이삼사오육칠팔구]{4} [공일이삼사오육칠팔구]{4}")


def _customer_texts(call: ScriptedCall) -> list[str]:
    return [t.text for t in call.turns if t.speaker is Speaker.CUSTOMER]


def _unhesitated(text: str) -> str:
    for prefix in v.HESITATIONS:
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


_Feature = Callable[[ScriptedCall, list[str]], bool]
_FEATURES: dict[str, _Feature] = {
    "filler": lambda c, ts: any(_unhesitated(t).startswith(phrases.FILLERS) for t in ts),
    "hesitation": lambda c, ts: any(t.startswith(v.HESITATIONS) or _STUTTER.match(t) for t in ts),
    "self_correction": lambda c, ts: any(_CORRECTION.search(t) for t in ts),
    "complaint_phrase": lambda c, ts: any(
        p in t for t in ts for p in complaint_phrases(c.truth.speech_level)
    ),
    "angry": lambda c, ts: c.truth.mood == "angry",
    "formal": lambda c, ts: c.truth.speech_level == "formal",
    "casual": lambda c, ts: c.truth.speech_level == "casual",
    "short_4_6": lambda c, ts: c.truth.length == "short" and 4 <= len(c.turns) <= 6,
    "long_14_20": lambda c, ts: c.truth.length == "long" and 14 <= len(c.turns) <= 20,
    "vague_opening": lambda c, ts: c.turns[1].intent is None,
    "multi_intent": lambda c, ts: len(c.truth.expected_intents) > 1,
    "hangul_amount": lambda c, ts: any(_HANGUL_WON.search(t) for t in ts),
    "hangul_digits": lambda c, ts: any(_HANGUL_DIGITS.search(t) for t in ts),
    "pii_said": lambda c, ts: bool(c.truth.pii),
    "card_or_account": lambda c, ts: any(p.kind in ("card", "account") for p in c.truth.pii),
    "competitor": lambda c, ts: any(name in t for t in ts for name in phrases.COMPETITORS),
    "loanword": lambda c, ts: any(word in t for t in ts for word in LOANWORDS),
}


def call_features(call: ScriptedCall) -> dict[str, bool]:
    """Which kinds of variation one call has."""
    texts = _customer_texts(call)
    return {name: feature(call, texts) for name, feature in _FEATURES.items()}


def variation_rates(calls: Sequence[ScriptedCall]) -> dict[str, float]:
    """Share of calls with each kind of variation (0 to 1)."""
    counts = dict.fromkeys(_FEATURES, 0)
    for call in calls:
        for name, present in call_features(call).items():
            counts[name] += present
    return {name: count / max(1, len(calls)) for name, count in counts.items()}
