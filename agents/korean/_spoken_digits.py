"""Rewrite digit-by-digit spoken numbers ("공일공 일이삼사 오육칠팔") as written digits."""

from __future__ import annotations

import re

from agents.korean._numbers_pii import phone_layout
from agents.korean.checksums import luhn_valid
from agents.korean.digits import (
    AFTER_PARTICLE_I_RE as _AFTER_PARTICLE_I_RE,
)
from agents.korean.digits import (
    DigitRun,
    find_digit_runs,
    is_word_start,
    particle_syllables,
    readings,
)

__all__ = ["format_phone", "rewrite_spoken_digits"]

_BUSINESS_RE = re.compile(r"1[5-9]\d\d\d{4}")
_NOT_DIGIT_WORDS = frozenset({"사이사이", "일일이", "이사이", "오일이"})
_NUMERAL_TAIL = frozenset("십백천만억")
_MAX_PHONE_DIGITS = 13  # "+82" and a 050X safe number at most


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
        last, total = i, 0
        while last < len(groups) and total + len(groups[last].digits) <= _MAX_PHONE_DIGITS:
            total += len(groups[last].digits)
            last += 1
        for j in range(last, i, -1):
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
        elif out or len(groups[i].digits) > 2:
            break  # a phone starts a run or follows one: not inside an account number
        else:
            i += 1
    return out


def _card_with(run: DigitRun, last: str) -> bool:
    """Whether the run, ending in `last`, is a 16-digit number passing the Luhn check."""
    digits = "".join(g.digits for g in run.groups[:-1]) + last
    return len(digits) == 16 and luhn_valid(digits)


def _digit_words(run: DigitRun, text: str) -> list[tuple[int, int, str]]:
    """Spoken groups to write as digits; a final particle 이 ("칠이요") stays a word.

    In a long run (7+ digits, an identifier read aloud) every spoken group is written;
    otherwise only groups of 4+ syllables, which are rarely words.
    """
    out: list[tuple[int, int, str]] = []
    long_run = sum(len(g.digits) for g in run.groups) >= 7
    for group in run.groups:
        word = text[group.start : group.end]
        if word == "이" and group is run.groups[-1] and _AFTER_PARTICLE_I_RE.match(text, group.end):
            continue  # "... 천삼백팔 이에요": the copula, not a digit
        after = text[group.end : group.end + 1]
        before = text[group.start - 1 : group.start]
        # A word like 일일이 inside a run ("이공 일일이 공공") or before an ending that takes
        # its 이 ("... 공공 일일이에요") is digits.
        inside = group is not run.groups[0] and group is not run.groups[-1]
        bare = word[: len(word) - particle_syllables(group, text)]
        if (
            group.spoken and not group.cardinal and (long_run or len(word) >= 4)
            and (bare not in _NOT_DIGIT_WORDS or inside)
            and after not in _NUMERAL_TAIL
            and not ("가" <= before <= "힣")
            and not is_word_start(group, text)
        ):
            options = readings((group,), text)
            digits, _, end = options[0]
            if len(options) > 1 and group is run.groups[-1] and _card_with(run, options[1][0]):
                digits, _, end = options[1]  # "...팔팔사이요" is a whole card number
            if digits:
                out.append((group.start, end, digits))
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
