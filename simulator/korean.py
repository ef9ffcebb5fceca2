"""Korean text helpers for scripts: particles that agree with the noun, numbers read aloud."""

from __future__ import annotations

import string
from typing import Any

__all__ = ["KoreanFormatter", "digits_spoken", "has_batchim", "number_to_hangul", "won_spoken"]

_DIGITS = "영일이삼사오육칠팔구"
_PHONE_DIGITS = "공일이삼사오육칠팔구"  # 0 is read 공 in phone numbers
_SMALL_UNITS = ("", "십", "백", "천")
_BIG_UNITS = ("", "만", "억", "조")
# Sino-Korean reading of a final digit or Latin letter decides the particle.
_BATCHIM_DIGITS = set("013678")
_BATCHIM_LETTERS = set("LMNRlmnr")
_RIEUL_FINAL = set("178Llr")
_PARTICLES = {
    "이/가": ("이", "가"),
    "을/를": ("을", "를"),
    "은/는": ("은", "는"),
    "과/와": ("과", "와"),
    "이에요/예요": ("이에요", "예요"),
    "이요/요": ("이요", "요"),
    "이랑/랑": ("이랑", "랑"),
    "이나/나": ("이나", "나"),
    "이고요/고요": ("이고요", "고요"),
    "이었습니다/였습니다": ("이었습니다", "였습니다"),
}


def has_batchim(word: str) -> bool:
    """Whether the word's last sound ends in a consonant (받침)."""
    last = word.rstrip(" )").strip()[-1:] or "가"
    if "가" <= last <= "힣":
        return (ord(last) - 0xAC00) % 28 != 0
    return last in _BATCHIM_DIGITS or last in _BATCHIM_LETTERS


def _rieul_final(word: str) -> bool:
    last = word.rstrip(" )").strip()[-1:] or "가"
    if "가" <= last <= "힣":
        return (ord(last) - 0xAC00) % 28 == 8
    return last in _RIEUL_FINAL


class KoreanFormatter(string.Formatter):
    """`str.format` where a spec like `{item:을/를}` appends the particle that fits the noun."""

    def format_field(self, value: Any, format_spec: str) -> str:
        """Append the agreeing particle, or format normally."""
        text = str(value)
        if format_spec == "으로/로":
            return text + ("로" if not has_batchim(text) or _rieul_final(text) else "으로")
        if format_spec in _PARTICLES:
            with_final, without = _PARTICLES[format_spec]
            return text + (with_final if has_batchim(text) else without)
        return str(super().format_field(value, format_spec))


def number_to_hangul(n: int) -> str:
    """Sino-Korean reading of a non-negative integer: 32000 -> "삼만 이천"."""
    if n == 0:
        return "영"
    groups: list[str] = []
    for big in range(len(_BIG_UNITS)):
        chunk = n // 10_000**big % 10_000
        if chunk == 0:
            continue
        words = ""
        for pos in range(3, -1, -1):
            digit = chunk // 10**pos % 10
            if digit:
                # 일 is dropped before 십/백/천 (십, not 일십)
                words += ("" if digit == 1 and pos else _DIGITS[digit]) + _SMALL_UNITS[pos]
        if big == 1 and words == "일":
            words = ""  # 만 원, not 일만 원
        groups.append(words + _BIG_UNITS[big])
    return " ".join(reversed(groups))


def won_spoken(amount: int, *, hangul: bool) -> str:
    """An amount as a customer says it: "삼만 이천 원" or "32,000원"."""
    return f"{number_to_hangul(amount)} 원" if hangul else f"{amount:,}원"


def digits_spoken(digits: str) -> str:
    """Digits read one by one, groups kept: "010-1234" -> "공일공 일이삼사"."""
    return " ".join(
        "".join(_PHONE_DIGITS[int(d)] for d in group if d.isdigit()) for group in digits.split("-")
    )
