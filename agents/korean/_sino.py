"""Parse Sino-Korean numerals ("삼만 이천", "천오백", "3만 2천") into integers."""

from __future__ import annotations

__all__ = ["DIGIT_VALUES", "PLACE_CHARS", "parse_below_10000", "parse_sino"]

DIGIT_VALUES = {
    "일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "륙": 6, "칠": 7, "팔": 8, "구": 9,
    **{str(d): d for d in range(1, 10)},
}
PLACE_CHARS = frozenset("십백천만억")
_SMALL_PLACES = (("천", 1000), ("백", 100), ("십", 10))
_BIG_PLACES = (("억", 10**8), ("만", 10**4))


def parse_below_10000(text: str) -> int | None:
    """Parse 1..9999 written as place-value syllables, or 1-4 ASCII digits."""
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return int(text) if len(text) <= 4 else None
    total, pos = 0, 0
    for mark, value in _SMALL_PLACES:
        end = text.find(mark, pos)
        if end < 0:
            continue
        coefficient = text[pos:end]
        if len(coefficient) > 1 or (coefficient and coefficient not in DIGIT_VALUES):
            return None
        total += DIGIT_VALUES.get(coefficient, 1) * value
        pos = end + 1
    rest = text[pos:]
    if rest:
        if rest not in DIGIT_VALUES:
            return None
        total += DIGIT_VALUES[rest]
    return total or None


def parse_sino(text: str) -> int | None:
    """Parse a Sino-Korean numeral without spaces; None when it is not one."""
    total, rest = 0, text
    for mark, value in _BIG_PLACES:
        if mark in rest:
            left, rest = rest.split(mark, 1)
            if not left:
                total += value
                continue
            coefficient = parse_below_10000(left)
            if coefficient is None:
                return None
            total += coefficient * value
    if rest:
        small = parse_below_10000(rest)
        if small is None:
            return None
        total += small
    return total if text else None
