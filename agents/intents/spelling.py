"""Write digits and Latin letters the way Korean ASR spells them out in Hangul."""

from __future__ import annotations

import re

__all__ = ["LOANWORDS", "spell_latin", "spell_number", "spell_numbers", "spell_out"]

_DIGITS = "영일이삼사오육칠팔구"
_PHONE_DIGITS = "공일이삼사오육칠팔구"
_SMALL_UNITS = ("", "십", "백", "천")
_LARGE_UNITS = ("", "만", "억", "조")
_NATIVE = {
    1: "한", 2: "두", 3: "세", 4: "네", 5: "다섯", 6: "여섯", 7: "일곱", 8: "여덟", 9: "아홉",
    10: "열", 11: "열한", 12: "열두", 20: "스무",
}
# Counters read with native Korean numbers ("두 달", "세 번"); everything else is Sino-Korean.
_NATIVE_COUNTERS = ("달", "번", "개", "시", "살", "명", "대", "장", "군데", "통")

_LETTERS = {
    "a": "에이", "b": "비", "c": "씨", "d": "디", "e": "이", "f": "에프", "g": "지", "h": "에이치",
    "i": "아이", "j": "제이", "k": "케이", "l": "엘", "m": "엠", "n": "엔", "o": "오", "p": "피",
    "q": "큐", "r": "알", "s": "에스", "t": "티", "u": "유", "v": "브이", "w": "더블유",
    "x": "엑스", "y": "와이", "z": "지",
}

# Words ASR writes as loanwords rather than letter by letter (lower-case keys).
LOANWORDS: dict[str, str] = {
    "usim": "유심", "esim": "이심", "wifi": "와이파이", "wi-fi": "와이파이", "iphone": "아이폰",
    "galaxy": "갤럭시", "netflix": "넷플릭스", "youtube": "유튜브", "premium": "프리미엄",
    "app": "앱", "ok": "오케이", "plus": "플러스", "pass": "패스", "tving": "티빙",
    "wavve": "웨이브", "disney": "디즈니", "google": "구글", "apple": "애플", "kakao": "카카오",
    "naver": "네이버", "toss": "토스", "data": "데이터", "safe": "세이프", "call": "콜",
    "samsung": "삼성", "pay": "페이", "max": "맥스", "mini": "미니", "pro": "프로",
}

_TOKEN = re.compile(r"[A-Za-z][A-Za-z\-]*|\d[\d,]*(?:\.\d+)?")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _sino_under_10000(value: int) -> str:
    parts: list[str] = []
    for power in range(3, -1, -1):
        digit = (value // 10**power) % 10
        if digit == 0:
            continue
        # Spoken Korean drops "일" before 십/백/천: 천 오백, not 일천 오백.
        head = "" if digit == 1 and power > 0 else _DIGITS[digit]
        parts.append(head + _SMALL_UNITS[power])
    return "".join(parts)


def spell_number(value: int, *, counter: str = "") -> str:
    """Read a non-negative integer aloud: 30000 -> "삼만", 2 with counter "달" -> "두"."""
    if value == 0:
        return "영"
    if counter in _NATIVE_COUNTERS and value in _NATIVE:
        return _NATIVE[value]
    if counter in _NATIVE_COUNTERS and 12 < value < 20:
        return "열" + _NATIVE[value - 10]
    groups: list[str] = []
    for index in range(len(_LARGE_UNITS) - 1, -1, -1):
        chunk = (value // 10000**index) % 10000
        if chunk == 0:
            continue
        # "만" alone for 10000 ("만 원"), like callers say it.
        words = "" if chunk == 1 and index == 1 else _sino_under_10000(chunk)
        groups.append(words + _LARGE_UNITS[index])
    return " ".join(groups)


def _spell_digits(text: str) -> str:
    return "".join(_PHONE_DIGITS[int(ch)] for ch in text if ch.isdigit())


def _spell_numeral(raw: str, following: str) -> str:
    plain = raw.replace(",", "")
    if "." in plain:
        whole, frac = plain.split(".", 1)
        return f"{spell_number(int(whole))} 점 {' '.join(_DIGITS[int(d)] for d in frac)}"
    # Leading zeros or long digit runs are identifiers (phone, account): read digit by digit.
    if plain.startswith("0") and len(plain) > 1 or len(plain) > 12:
        return _spell_digits(plain)
    counter = next((c for c in _NATIVE_COUNTERS if following.startswith(c)), "")
    return spell_number(int(plain), counter=counter)


def spell_numbers(text: str) -> str:
    """Spell every number in `text` in Hangul, with a space before its unit ("삼만 원")."""

    def replace(match: re.Match[str]) -> str:
        following = text[match.end() : match.end() + 2]
        spelled = _spell_numeral(match.group(), following)
        return spelled + (" " if following[:1].strip() else "")

    return _NUMBER.sub(replace, text)


def spell_latin(word: str) -> str:
    """Spell one Latin-letter word: a known loanword ("USIM" -> "유심") or letter names."""
    lower = word.lower()
    if lower in LOANWORDS:
        return LOANWORDS[lower]
    return "".join(_LETTERS.get(ch, "") for ch in lower)


def spell_out(text: str) -> str:
    """Spell every number and Latin word in Hangul ("5G 요금제" -> "오 지 요금제")."""

    def replace(match: re.Match[str]) -> str:
        token = match.group()
        if token[0].isdigit():
            following = text[match.end() : match.end() + 2]
            spelled = _spell_numeral(token, following)
        else:
            spelled = spell_latin(token)
        return f" {spelled} "

    return re.sub(r"\s+", " ", _TOKEN.sub(replace, text)).strip()
