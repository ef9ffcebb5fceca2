"""Find digit sequences in ASR text: ASCII digits, spoken Hangul digits, or both mixed."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "DigitGroup",
    "DigitRun",
    "HANGUL_DIGITS",
    "find_digit_runs",
    "is_word_start",
    "readings",
]

HANGUL_DIGITS = {
    "공": "0", "영": "0", "일": "1", "이": "2", "삼": "3", "사": "4",
    "오": "5", "육": "6", "륙": "6", "칠": "7", "팔": "8", "구": "9",
}
# A group is all written or all spoken: "5678이에요" ends the number before the particle.
_GROUP = "(?:[0-9]+|[공영일이삼사오육륙칠팔구]+)"
# Separators people and ASR put between digit groups: hyphen, dot, a closing bracket
# ("02)123-4567"), spaces, and the spoken dash forms "다시"/"대시" and linking "에"/"의".
_SEP = r"(?:[ \t]*(?:-|–|\.|\)|다시|대시|에|의)[ \t]*|[ \t]+)"
_RUN_RE = re.compile(
    rf"(?<![A-Za-z0-9_\-])(?P<plus>\+[ \t]?)?{_GROUP}(?:{_SEP}{_GROUP})*(?![A-Za-z0-9])"
)
_GROUP_RE = re.compile(_GROUP)
_HANGUL_RE = re.compile("[가-힣]")
# What can follow the subject particle 이 but not a digit: "오육칠팔이에요", "...이고요".
_AFTER_PARTICLE_I_RE = re.compile("에요|요|고|구요|었|였|라|며|면|나|니|지|죠|야|랑|가|던")
# What can follow a spoken digit directly: "...구요", "...팔로", "...칠입니다".
_AFTER_DIGIT_RE = re.compile(
    "요|로|으로|에|이에요|예요|입니다|이고|고|번|이요|까지|이랑|랑|이나|가|는|를|을|은|이"
)


@dataclass(frozen=True, slots=True)
class DigitGroup:
    """Contiguous digits (no separator inside) with offsets in the source text."""

    digits: str
    start: int
    end: int
    spoken: bool


@dataclass(frozen=True, slots=True)
class DigitRun:
    """Digit groups joined by separators; `start` includes a leading '+' when present."""

    start: int
    end: int
    groups: tuple[DigitGroup, ...]
    plus: bool


def _to_digits(chunk: str) -> str:
    return "".join(HANGUL_DIGITS.get(c, c) for c in chunk)


def find_digit_runs(text: str, min_digits: int = 1) -> list[DigitRun]:
    """Return every run of digit groups in `text` holding at least `min_digits` digits."""
    runs: list[DigitRun] = []
    for match in _RUN_RE.finditer(text):
        if match.end() - match.start() < min_digits:
            continue  # every digit is one character, so this run is too short
        body_start = match.start() + len(match.group("plus") or "")
        groups = tuple(
            DigitGroup(
                digits=_to_digits(g.group()),
                start=g.start(),
                end=g.end(),
                spoken=_HANGUL_RE.search(g.group()) is not None,
            )
            for g in _GROUP_RE.finditer(text, body_start, match.end())
        )
        if sum(len(g.digits) for g in groups) >= min_digits:
            runs.append(
                DigitRun(match.start(), match.end(), groups, match.group("plus") is not None)
            )
    return runs


def readings(groups: tuple[DigitGroup, ...], text: str) -> list[tuple[str, tuple[int, ...], int]]:
    """Possible (digits, group lengths, end offset) of consecutive groups, likeliest first.

    A spoken group ending in "이" may end in the particle 이 ("오육칠팔이에요"): when a
    Hangul syllable follows directly, the reading without it comes first.
    """
    digits = "".join(g.digits for g in groups)
    lengths = tuple(len(g.digits) for g in groups)
    full = (digits, lengths, groups[-1].end)
    last = groups[-1]
    if not (last.spoken and text[last.end - 1] == "이" and len(last.digits) > 1):
        return [full]
    trimmed = (digits[:-1], (*lengths[:-1], lengths[-1] - 1), last.end - 1)
    particle_follows = _AFTER_PARTICLE_I_RE.match(text, last.end) is not None
    return [trimmed, full] if particle_follows else [full, trimmed]


def is_word_start(group: DigitGroup, text: str) -> bool:
    """True for one spoken syllable glued to a word: "이거예요", "일단", "이번"."""
    return (
        group.spoken
        and group.end - group.start == 1
        and group.end < len(text)
        and "가" <= text[group.end] <= "힣"
        and _AFTER_DIGIT_RE.match(text, group.end) is None
    )
