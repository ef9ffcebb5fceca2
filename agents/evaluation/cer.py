"""Character error rate of Korean ASR output: numbers spelled in Hangul, punctuation dropped."""

from __future__ import annotations

import re

__all__ = ["cer", "normalize_korean", "number_to_hangul"]

_DIGITS = "영일이삼사오육칠팔구"
_SMALL_UNITS = ((1000, "천"), (100, "백"), (10, "십"))
_BIG_UNITS = ((10**12, "조"), (10**8, "억"), (10**4, "만"))
_PUNCT = re.compile(r"[^\w]|_", re.UNICODE)


def number_to_hangul(value: int) -> str:
    """Sino-Korean reading of a non-negative integer (1234 -> 천이백삼십사)."""
    if value == 0:
        return "영"
    if value >= 10**16:  # past 조: a digit string (a hallucinated run, an ID), read digit by digit
        return "".join(_DIGITS[int(d)] for d in str(value))
    words = []
    for unit, name in (*_BIG_UNITS, (1, "")):
        group, value = divmod(value, unit)
        if group:
            words.append(("" if group == 1 and name == "만" else _below_10000(group)) + name)
    return "".join(words)


def _below_10000(value: int) -> str:
    out = ""
    for unit, name in _SMALL_UNITS:
        digit, value = divmod(value, unit)
        if digit:
            out += ("" if digit == 1 else _DIGITS[digit]) + name
    return out + (_DIGITS[value] if value else "")


def normalize_korean(text: str) -> str:
    """Lower-case, numbers spelled in Hangul, punctuation and spaces removed (for CER)."""
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text.lower())
    text = re.sub(r"\d+", lambda m: number_to_hangul(int(m.group())), text)
    return _PUNCT.sub("", text)


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate after normalization (edit distance / reference length)."""
    ref, hyp = normalize_korean(reference), normalize_korean(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1] / len(ref)
