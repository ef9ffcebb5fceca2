"""Rewrite digit-by-digit spoken numbers ("공일공 일이삼사 오육칠팔") as written digits."""

from __future__ import annotations

import re

from agents.korean._numbers_pii import phone_layout
from agents.korean.digits import DigitRun, find_digit_runs, readings

__all__ = ["format_phone", "rewrite_spoken_digits"]

_BUSINESS_RE = re.compile(r"1[5-9]\d\d\d{4}")
_NOT_DIGIT_WORDS = frozenset({"사이사이", "일일이", "이사이", "오일이"})
_NUMERAL_TAIL = frozenset("십백천만억")


def format_phone(digits: str) -> str:
    """Hyphenate a domestic phone number: 010-1234-5678, 02-123-4567, 1588-1234."""
    if len(digits) == 8:
        return f"{digits[:4]}-{digits[4:]}"
    head = 2 if digits.startswith("02") else 4 if digits.startswith("050") else 3
    return f"{digits[:head]}-{digits[head:-4]}-{digits[-4:]}"


def _phone_segments(run: DigitRun, text: str) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    groups, i = run.groups, 0
    while i < len(groups):
        found = None
        for j in range(len(groups), i, -1):
            if not any(g.spoken for g in groups[i:j]):
                continue
            for digits, lengths, end in readings(groups[i:j], text):
                plus = run.plus and i == 0
                domestic = phone_layout(digits, lengths, plus)
                business = lengths in ((8,), (4, 4)) and _BUSINESS_RE.fullmatch(digits)
                if domestic is None and business:
                    domestic = digits
                if domestic:
                    found = (run.start if plus else groups[i].start, end, format_phone(domestic), j)
                    break
            if found:
                break
        if found:
            out.append(found[:3])
            i = found[3]
        else:
            i += 1
    return out


def _digit_words(run: DigitRun, text: str) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for group in run.groups:
        word = text[group.start : group.end]
        after = text[group.end : group.end + 1]
        before = text[group.start - 1 : group.start]
        if (
            group.spoken and len(word) >= 4 and word not in _NOT_DIGIT_WORDS
            and after not in _NUMERAL_TAIL and not ("가" <= before <= "힣")
        ):
            out.append((group.start, group.end, group.digits))
    return out


def rewrite_spoken_digits(text: str) -> str:
    """Write spoken phone numbers with hyphens and other long spoken digit strings as digits."""
    edits: list[tuple[int, int, str]] = []
    for run in find_digit_runs(text, min_digits=4):
        phones = _phone_segments(run, text)
        taken = [(s, e) for s, e, _ in phones]
        edits.extend(phones)
        edits.extend(
            w for w in _digit_words(run, text) if all(w[1] <= s or w[0] >= e for s, e in taken)
        )
    if not edits:
        return text
    edits.sort()
    parts: list[str] = []
    cursor = 0
    for start, end, written in edits:
        parts.extend((text[cursor:start], written))
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)
