"""Read random identifiers, amounts, counts, dates and times aloud, the ways callers do.

Each case holds the text, the PII spans and the values a reader should find. The values
are drawn first and rendered afterwards (Sino-Korean or native digits, mixtures, numerals,
spacing, pauses, particles), so the set measures the redactor and the normalizer rather
than mirroring them. Used by the hypothesis tests and by `kcall eval korean`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from agents.korean.checksums import luhn_valid
from agents.korean.kinds import PiiKind

__all__ = [
    "SpokenCase",
    "generate_spoken_cases",
    "has_batchim",
    "read_digits",
    "say_amount",
    "say_sino",
    "spoken_case",
]

CALL_DATE = dt.date(2025, 11, 20)
_SINO = "영일이삼사오육칠팔구"
_NATIVE = ("공", "하나", "둘", "셋", "넷", "다섯", "여섯", "일곱", "여덟", "아홉")
_NATIVE_COUNT = {1: "한", 2: "두", 3: "세", 4: "네", 5: "다섯", 6: "여섯", 7: "일곱", 8: "여덟",
                 9: "아홉", 10: "열", 11: "열한", 12: "열두", 20: "스무"}
_WEEKDAYS = "월화수목금토일"
_BANKS = ("국민은행", "신한은행", "우리은행", "농협", "카카오뱅크", "기업은행", "토스뱅크")
_BANK_LAYOUTS = ((3, 2, 6), (3, 3, 6), (6, 2, 6), (3, 6, 5), (4, 3, 6), (4, 2, 7), (3, 4, 4, 2))


@dataclass(frozen=True)
class SpokenCase:
    """One utterance: PII spans (start, end, kind) and expected (form, value) pairs."""

    case_id: str
    text: str
    call_date: dt.date
    pii: tuple[tuple[int, int, PiiKind], ...]
    values: tuple[tuple[str, str], ...]
    section: str = ""
    split: str = "generated"


def has_batchim(word: str) -> bool:
    """Whether the last syllable ends in a consonant (picks 이요/요, 으로/로)."""
    last = word[-1]
    if "0" <= last <= "9":
        return last in "013678"
    return "가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 != 0


def _ends_in_rieul(word: str) -> bool:
    last = word[-1]
    return last in "178" or ("가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 == 8)


def _particle(rng: random.Random, word: str) -> str:
    closed = has_batchim(word)
    choices = [" 맞아요", "", " 이거예요", "입니다"]
    choices += ["이요", "이에요", "이고요"] if closed else ["요", "예요", "고요"]
    choices.append("로요" if not closed or _ends_in_rieul(word) else "으로요")
    return rng.choice(choices)


def read_digits(rng: random.Random, groups: list[str], style: str | None = None) -> str:
    """Read digit groups aloud: Sino, native, mixed per digit, numerals, or mixed groups."""
    style = style or rng.choice(("sino", "sino", "native", "mixed", "numeral_mix", "numeral"))
    zero = rng.choice("공공영빵")

    def one(d: str) -> str:
        if style == "sino" or (style in ("mixed", "numeral_mix") and rng.random() < 0.5):
            return zero if d == "0" else _SINO[int(d)]
        return zero if d == "0" else _NATIVE[int(d)]

    said = []
    for group in groups:
        if style == "numeral" or (style == "numeral_mix" and rng.random() < 0.4):
            said.append(group)
        else:
            said.append("".join(one(d) for d in group))
    joins = [" ", " ", "에 ", " 다시 ", ", "]
    if style == "numeral":
        joins += ["-", "-"]
    if rng.random() < 0.15:
        return "".join(said)  # run together
    join = rng.choice(joins)
    return join.join(said)


def say_sino(n: int, one_before_places: bool = False) -> str:
    """Sino-Korean numeral for 1..99999999 ("삼만 오천" without spaces: "삼만오천")."""
    if n == 0:
        return "영"
    out = []
    for unit, size in (("억", 10**8), ("만", 10**4)):
        if n >= size:
            head, n = divmod(n, size)
            out.append(("" if head == 1 and not one_before_places else say_sino(head)) + unit)
    for unit, size in (("천", 1000), ("백", 100), ("십", 10)):
        if n >= size:
            head, n = divmod(n, size)
            out.append(("" if head == 1 and not one_before_places else _SINO[head]) + unit)
    if n:
        out.append(_SINO[n])
    return "".join(out)


def say_amount(rng: random.Random, won: int) -> str:
    """An amount of money the ways callers and ASR write it, always ending in 원."""
    style = rng.random()
    if style < 0.15:
        return f"{won}원"
    if style < 0.25:
        return f"{won:,}원"
    man, rest = divmod(won, 10_000)
    if style < 0.45 and man:
        parts = [f"{man}만"]
        if rest:
            parts.append(f"{rest // 1000}천" if rest % 1000 == 0 and rest >= 1000 else str(rest))
        return rng.choice(("", " ")).join(parts) + rng.choice(("원", " 원"))
    parts = []
    if man:
        parts.append(say_sino(man, one_before_places=rng.random() < 0.2) + "만")
    if rest:
        parts.append(say_sino(rest))
    return rng.choice(("", " ")).join(parts) + rng.choice(("원", " 원"))


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _split(digits: str, layout: tuple[int, ...]) -> list[str]:
    out, pos = [], 0
    for size in layout:
        out.append(digits[pos : pos + size])
        pos += size
    return out


Built = tuple[str, str, PiiKind | None, list[tuple[str, str]]]  # prefix, said, kind, values


def _phone(rng: random.Random) -> Built:
    kind = rng.random()
    if kind < 0.75:
        groups = [rng.choice(("010", "010", "011", "016")), _digits(rng, 4), _digits(rng, 4)]
    elif kind < 0.9:
        exchange = str(rng.randrange(2, 10)) + _digits(rng, rng.choice((2, 3)))
        groups = ["02", exchange, _digits(rng, 4)]
    else:
        groups = [rng.choice(("031", "051", "062", "070")), str(rng.randrange(2, 10))
                  + _digits(rng, 3), _digits(rng, 4)]
    if rng.random() < 0.15 and all(g[0] != "0" for g in groups[1:]) and len(groups[-1]) == 4:
        # The four-digit parts said as numbers: "공일공 천이백삼십사 오천육백칠십팔".
        head = read_digits(rng, groups[:1], "sino")
        said = " ".join([head, *(say_sino(int(g)) if len(g) == 4 else read_digits(rng, [g])
                                 for g in groups[1:])])
    else:
        said = read_digits(rng, groups)
    prefix = rng.choice(("제 번호는 ", "연락처 ", "휴대폰 번호가 ", "네 ", "번호 불러 드릴게요 ",
                         "다시 한번 말씀드리면 ", "집 전화는 ", ""))
    return prefix, said, PiiKind.PHONE, [("digits", "".join(groups))]


def _card(rng: random.Random) -> Built:
    body = rng.choice("3456789") + _digits(rng, 14)
    check = next(d for d in "0123456789" if luhn_valid(body + d))
    groups = _split(body + check, (4, 4, 4, 4))
    prefix = rng.choice(("카드번호는 ", "카드 번호 불러 드릴게요 ", "결제 카드는 ", "신용카드 ",
                         "체크카드 번호 "))
    return prefix, read_digits(rng, groups), PiiKind.CARD, [("digits", body + check)]


def _account(rng: random.Random) -> Built:
    layout = rng.choice(_BANK_LAYOUTS)
    digits = str(rng.randrange(1, 10)) + _digits(rng, sum(layout) - 1)
    bank = rng.choice(_BANKS)
    prefix = rng.choice((f"환불은 {bank} 계좌 ", "계좌번호는 ", f"{bank} 통장 ",
                         f"입금 계좌는 {bank} "))
    said = read_digits(rng, _split(digits, layout))
    return prefix, said, PiiKind.ACCOUNT, [("digits", digits)]


def _rrn(rng: random.Random) -> Built:
    born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 80))
    gender = rng.choice("34" if born.year >= 2000 else "12")
    digits = born.strftime("%y%m%d") + gender + _digits(rng, 6)
    prefix = rng.choice(("주민번호는 ", "주민등록번호 ", "본인 확인은 주민번호 ", "주민번호요 "))
    said = read_digits(rng, _split(digits, (6, 7)))
    return prefix, said, PiiKind.RRN, [("digits", digits)]


def _money(rng: random.Random) -> Built:
    won = rng.choice((rng.randrange(1, 100) * 100, rng.randrange(1, 200) * 1000,
                      rng.randrange(10, 3000) * 100))
    prefix = rng.choice(("요금이 ", "이번에 ", "위약금이 ", "소액결제로 ", "할인이 ",
                         "환불 금액은 ", "청구된 게 ", ""))
    return prefix, say_amount(rng, won), None, [("money", str(won))]


def _count(rng: random.Random) -> Built:
    unit = rng.choice(("번", "개", "대", "명", "달", "회선", "개월", "기가", "분", "초"))
    n = rng.choice((2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 20, 24, 30))
    native_ok = unit in ("번", "개", "대", "명", "달", "회선") and n in _NATIVE_COUNT
    # Small counts of things are native ("두 번", "세 달"); "이 번" would be "this time".
    if native_ok and (unit != "회선" or rng.random() < 0.7):
        said = _NATIVE_COUNT[n] + rng.choice((" ", " ", "")) + unit
        if said[0] in "세네열" and " " not in said:
            said = _NATIVE_COUNT[n] + " " + unit
    else:
        if unit == "달":
            unit = "개월"  # "삼십 달" is not said: months past twelve are 개월
        said = (say_sino(n) if rng.random() < 0.8 else str(n)) + " " + unit
    form = {"기가": "data", "분": "duration", "초": "duration"}.get(unit, "count")
    prefix = rng.choice(("", "벌써 ", "그게 ", "아마 "))
    return prefix, said, None, [(form, f"{n}{unit}")]


def _date(rng: random.Random) -> Built:
    style = rng.random()
    day = rng.randrange(1, 29)
    if style < 0.35:
        rel, shift = rng.choice((("지난달", -1), ("이번 달", 0), ("다음 달", 1), ("지지난달", -2)))
        index = CALL_DATE.year * 12 + CALL_DATE.month - 1 + shift
        value = dt.date(index // 12, index % 12 + 1, day)
        said = f"{rel} {say_sino(day)}{rng.choice(('', ' '))}일"
    elif style < 0.7:
        month = rng.randrange(1, CALL_DATE.month + 1)
        value = dt.date(CALL_DATE.year, month, day)
        spaced = say_sino(month) + rng.choice(("", " ")) + "월"
        month_word = {6: "유월", 10: "시월"}.get(month, spaced)
        said = f"{month_word} {say_sino(day)}{rng.choice(('', ' '))}일"
    else:
        rel, weeks = rng.choice((("지난주", -1), ("이번 주", 0), ("다음 주", 1), ("다음주", 1)))
        weekday = rng.randrange(7)
        monday = CALL_DATE - dt.timedelta(days=CALL_DATE.weekday())
        value = monday + dt.timedelta(weeks=weeks, days=weekday)
        said = f"{rel} {_WEEKDAYS[weekday]}요일"
    prefix = rng.choice(("", "그게 ", "아마 ", "결제일이 "))
    return prefix, said, None, [("date", value.isoformat())]


def _time(rng: random.Random) -> Built:
    half = rng.choice(("오전", "오후", "저녁", "아침"))
    hour = rng.randrange(1, 12)
    minute = rng.choice((0, 0, 30, 30, 10, 15, 20, 40, 45))
    said = f"{half} {_NATIVE_COUNT.get(hour) or say_sino(hour)} 시"
    if minute == 30 and rng.random() < 0.6:
        said += " 반"
    elif minute:
        said += f" {say_sino(minute)} 분"
    if half in ("오후", "저녁"):
        hour += 12
    prefix = rng.choice(("", "그럼 ", "통화는 "))
    return prefix, said, None, [("time", f"{hour:02d}:{minute:02d}")]


def _ordinal(rng: random.Random) -> Built:
    n = rng.randrange(1, 13)
    said = "첫" if n == 1 else _NATIVE_COUNT[n]
    prefix = rng.choice(("", "이게 ", "벌써 "))
    return prefix, f"{said} 번째", None, [("ordinal", f"{n}번째")]


def _month(rng: random.Random) -> Built:
    if rng.random() < 0.3:
        rel, shift = rng.choice((("지난달", -1), ("저번 달", -1), ("지지난달", -2), ("이번 달", 0)))
        index = CALL_DATE.year * 12 + CALL_DATE.month - 1 + shift
        return "", f"{rel} 요금", None, [("month", f"{index // 12}-{index % 12 + 1:02d}")]
    month = rng.choice([m for m in range(1, 13) if m != 2])  # "이 월" is also carry-over
    year = CALL_DATE.year if month <= CALL_DATE.month else CALL_DATE.year - 1
    said = {6: "유월", 10: "시월"}.get(month) if rng.random() < 0.7 else None
    said = said or say_sino(month) + rng.choice(("월", " 월"))
    return "", f"{said} 요금", None, [("month", f"{year}-{month:02d}")]


def _relative_day(rng: random.Random) -> Built:
    word, shift = rng.choice((("그저께", -2), ("어제", -1), ("오늘", 0), ("내일", 1),
                              ("모레", 2)))
    value = (CALL_DATE + dt.timedelta(days=shift)).isoformat()
    return "", word, None, [("date", value)]


def _data(rng: random.Random) -> Built:
    whole, tenth = rng.randrange(1, 100), rng.choice((0, 0, 5, 2))
    said = say_sino(whole) + (f" 점 {_SINO[tenth]}" if tenth else "")
    value = f"{whole}.{tenth}기가" if tenth else f"{whole}기가"
    # "일기가", "사기가", "오기가", "이기가" are words (diary, fraud, ...): said with a pause.
    glued_ok = tenth or said not in ("일", "이", "사", "오")
    said += rng.choice((" 기가", "기가")) if glued_ok else " 기가"
    return rng.choice(("데이터 ", "")), said, None, [("data", value)]


def _percent(rng: random.Random) -> Built:
    n = rng.choice((5, 10, 15, 20, 25, 30, 50))
    return "할인이 ", say_sino(n) + rng.choice((" 퍼센트", " 프로", "퍼센트")), None, [
        ("percent", f"{n}%")]


_MAKERS: dict[str, Callable[[random.Random], Built]] = {
    "phone": _phone, "card": _card, "account": _account, "rrn": _rrn, "money": _money,
    "count": _count, "date": _date, "time": _time, "ordinal": _ordinal, "month": _month,
    "relative_day": _relative_day, "data": _data, "percent": _percent,
}


def spoken_case(rng: random.Random, section: str, case_id: str = "gen") -> SpokenCase:
    """One generated case of `section` (a key of the makers: phone, card, money, ...)."""
    prefix, said, kind, values = _MAKERS[section](rng)
    suffix = _particle(rng, said) if kind else rng.choice(
        ("", "이에요" if has_batchim(said) else "예요", " 나왔어요", "까지요", "쯤이요"))
    text = prefix + said + suffix
    pii = ((len(prefix), len(prefix) + len(said), kind),) if kind else ()
    return SpokenCase(case_id, text, CALL_DATE, pii, tuple(values), section)


def generate_spoken_cases(seed: int = 15, count: int = 1000) -> list[SpokenCase]:
    """`count` seeded cases spread over every section."""
    rng = random.Random(seed)
    sections = sorted(_MAKERS)
    return [spoken_case(rng, sections[i % len(sections)], f"gen-{i:04d}") for i in range(count)]
