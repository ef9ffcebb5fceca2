"""Typed values in a Korean utterance: money, counts, data, dates, times, identifiers.

`read_quantities` runs `normalize` first (the same normalizer the agent graph and the claim
rules use) and then reads the written forms it produced, so a spoken amount and a written
one give the same value. Dates resolve against the call date: "지난달 이십일" on a call of
2025-11-20 is 2025-10-20, "다음 주 화요일" is the Tuesday of the following week.

Canonical values, one string per form:
- money "35000" (won), count "2번" / "3개월", ordinal "2번째", data "5기가",
  duration "30분" / "2시간", percent "25%", date "2025-10-20", month "2025-09",
  time "15:30", digits "01012345678" (an identifier read out), cardinal "12".

Every pattern here is a sequence of bounded or single-character-class repeats with fixed
alternatives: matching is linear in the text length.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from agents.korean.digits import DigitGroup, find_digit_runs
from agents.korean.normalize import normalize

__all__ = ["FORMS", "Quantity", "read_quantities"]

FORMS = (
    "money", "count", "ordinal", "data", "duration", "percent", "date", "month", "time",
    "digits", "cardinal",
)


@dataclass(frozen=True, slots=True)
class Quantity:
    """One value; `start`/`end` index the normalized text `read_quantities` returns."""

    form: str
    value: str
    start: int
    end: int


_REL_MONTH = (
    r"(?P<rel>지지난[ \t]?달|지난[ \t]?달|저번[ \t]?달|이번[ \t]?달|이[ \t]?달|다음[ \t]?달"
    r"|담[ \t]?달|다다음[ \t]?달)"
)
_REL_MONTH_SHIFT = {
    "지지난달": -2, "지난달": -1, "저번달": -1, "이번달": 0, "이달": 0, "다음달": 1, "담달": 1,
    "다다음달": 2,
}
_REL_WEEK_SHIFT = {
    "지지난주": -2, "지난주": -1, "저번주": -1, "이번주": 0, "금주": 0, "다음주": 1, "담주": 1,
    "다다음주": 2,
}
_REL_DAY_SHIFT = {
    "그저께": -2, "그제": -2, "엊그제": -2, "어제": -1, "오늘": 0, "내일": 1, "모레": 2,
    "글피": 3,
}
_WEEKDAYS = "월화수목금토일"
_HALF_DAY_PM = frozenset({"오후", "저녁", "밤"})

_FULL_DATE_RE = re.compile(
    r"(?<![\d.])(?:(?P<y>\d{4}|\d{2})[ \t]?년[ \t]?)?"
    r"(?P<m>\d{1,2})[ \t]?월[ \t]?(?P<d>\d{1,2})[ \t]?일"
)
_REL_DAY_OF_MONTH_RE = re.compile(_REL_MONTH + r"[ \t]?(?P<d>\d{1,2})[ \t]?일")
_WEEKDAY_RE = re.compile(
    r"(?:(?P<rel>지지난[ \t]?주|지난[ \t]?주|저번[ \t]?주|이번[ \t]?주|금주|다다음[ \t]?주"
    r"|다음[ \t]?주|담주)[ \t]?)?(?P<wd>[월화수목금토일])요일"
)
_REL_DAY_RE = re.compile(r"(?<![가-힣])(그저께|엊그제|그제|어제|오늘|내일|모레|글피)(?!날)")
_YEAR_MONTH_RE = re.compile(r"(?<![\d.])(?P<y>\d{4})[ \t]?년[ \t]?(?P<m>\d{1,2})[ \t]?월")
_MONTH_RE = re.compile(r"(?<![\d.])(?P<m>\d{1,2})[ \t]?월(?!급|세|요일)")
_REL_MONTH_RE = re.compile(r"(?<![가-힣])" + _REL_MONTH + r"(?![ \t]?\d{1,2}[ \t]?일)")
_TIME_RE = re.compile(
    r"(?:(?P<half>오전|오후|아침|저녁|밤|새벽|낮)[ \t]?)?(?<![\d.])(?P<h>\d{1,2})[ \t]?시(?!간)"
    r"(?:[ \t]?(?P<half_hour>반)|[ \t]?(?P<min>\d{1,2})[ \t]?분)?"
)
_MONEY_RE = re.compile(r"(?<![\d.,])(?P<n>\d{1,3}(?:,\d{3})+|\d+)[ \t]?원")
_DATA_RE = re.compile(
    r"(?<![\d.])(?P<n>\d+(?:\.\d+)?)[ \t]?"
    r"(?P<u>기가바이트|기가|GB|메가바이트|메가|MB|테라|TB)(?![A-Za-z])"
)
_PERCENT_RE = re.compile(r"(?<![\d.])(?P<n>\d+(?:\.\d+)?)[ \t]?(?:퍼센트|프로|%)")
# A device line before "N 프로" makes 프로 part of a model name, not percent.
_MODEL_BEFORE_RE = re.compile(r"(?:아이폰|아이패드|갤럭시|맥북|에어팟|폰|[A-Za-z])[ \t]?$")
_DURATION_RE = re.compile(r"(?<![\d.])(?P<n>\d+)[ \t]?(?P<u>시간|분|초)")
_ORDINAL_RE = re.compile(r"(?<![\d.])(?P<n>\d+)[ \t]?번째")
_COUNT_RE = re.compile(
    r"(?<![\d.])(?P<n>\d+)[ \t]?"
    r"(?P<u>개월|개|번|회선|대|명|건|달|장|가지|군데|통|회|주|년|살|일|자리)"
    r"(?![가-힣]?요일)"
)
# Digits touching Latin letters are names ("5G", "SM-S928N", "M12345678"), not numbers.
_NUMBER_RE = re.compile(
    r"(?<![\d.,A-Za-z-])(?:\d{1,3}(?:,\d{3})+|\d+)(?![\dA-Za-z])"
)
_MONEY_WORDS = re.compile(
    r"요금|금액|얼마|청구|결제|환불|할인|빠져|나왔|나갔|납부|낸|내야|위약금|할부|원금|잔액|비용|충전"
)
_DATA_UNITS = {"기가바이트": "기가", "GB": "기가", "메가바이트": "메가", "MB": "메가", "TB": "테라"}
_DAY_COUNT_AFTER = re.compile(
    r"[ \t]?(?:동안|간|째|치|만에|씩|정도|이내|안에|후에|뒤에|걸려|걸리|걸린|걸립)"
)


def _plain(number: str) -> str:
    """Digits without grouping commas or leading zeros (no int(): inputs may be huge)."""
    return number.replace(",", "").lstrip("0") or "0"


def _shift_month(day: dt.date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _iso(year: int | None, month: int, day: int) -> str | None:
    if year is None:
        return f"--{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _full_year(said: str, call_date: dt.date | None) -> int:
    """"90년" in a birth date is 1990; "24년" is 2024 (not after the call's year)."""
    if len(said) == 4:
        return int(said)
    if call_date is None:
        return (1900 if int(said) >= 30 else 2000) + int(said)
    this_year = call_date.year
    year = this_year // 100 * 100 + int(said)
    return year - 100 if year > this_year else year


def _past_year(call_date: dt.date | None, month: int) -> int | None:
    """A month named without a year: this year's, or last year's when still ahead."""
    if call_date is None:
        return None
    return call_date.year if month <= call_date.month else call_date.year - 1


class _Reader:
    """Collect non-overlapping quantities; earlier (more specific) patterns win."""

    def __init__(self, text: str, call_date: dt.date | None) -> None:
        self.text = text
        self.call_date = call_date
        self.taken = bytearray(len(text))
        self.found: list[Quantity] = []

    def free(self, start: int, end: int) -> bool:
        return not any(self.taken[start:end])

    def add(self, form: str, value: str | None, start: int, end: int) -> None:
        if value is None or not self.free(start, end):
            return
        self.taken[start:end] = b"\x01" * (end - start)
        self.found.append(Quantity(form, value, start, end))

    def identifiers(self) -> None:
        text = self.text
        for run in find_digit_runs(self.text, min_digits=7):
            # Groups left spoken by normalize are words ("이거예요"), not digits.
            written: list[list[DigitGroup]] = [[]]
            for group in run.groups:
                if group.spoken:
                    written.append([])
                else:
                    written[-1].append(group)
            for groups in written:
                digits = "".join(g.digits for g in groups)
                if not groups or text.startswith("원", groups[-1].end):
                    continue  # an amount of money, read below
                if len(digits) >= 7 and (len(groups) > 1 or len(digits) >= 9
                                         or digits.startswith("0")):
                    first = groups[0]
                    start = run.start if run.plus and first is run.groups[0] else first.start
                    self.add("digits", digits, start, groups[-1].end)

    def dates(self) -> None:
        text, call = self.text, self.call_date
        for m in _REL_DAY_OF_MONTH_RE.finditer(text):
            shift = _REL_MONTH_SHIFT[re.sub(r"[ \t]", "", m.group("rel"))]
            ym = _shift_month(call, shift) if call else None
            value = _iso(ym[0], ym[1], int(m.group("d"))) if ym else None
            self.add("date", value, m.start(), m.end())
        for m in _FULL_DATE_RE.finditer(text):
            month, mday = int(m.group("m")), int(m.group("d"))
            year = _full_year(m.group("y"), call) if m.group("y") else _past_year(call, month)
            self.add("date", _iso(year, month, mday), m.start(), m.end())
        for m in _WEEKDAY_RE.finditer(text):
            if call is None:
                continue
            weekday = _WEEKDAYS.index(m.group("wd"))
            rel = re.sub(r"[ \t]", "", m.group("rel") or "")
            monday = call - dt.timedelta(days=call.weekday())
            if rel:
                day = monday + dt.timedelta(weeks=_REL_WEEK_SHIFT[rel], days=weekday)
            else:  # a bare weekday is the coming one
                day = call + dt.timedelta(days=(weekday - call.weekday()) % 7 or 7)
            self.add("date", day.isoformat(), m.start(), m.end())
        for m in _REL_DAY_RE.finditer(text):
            if call is not None:
                shifted = call + dt.timedelta(days=_REL_DAY_SHIFT[m.group(1)])
                self.add("date", shifted.isoformat(), m.start(), m.end())

    def months(self) -> None:
        text, call = self.text, self.call_date
        for m in _YEAR_MONTH_RE.finditer(text):
            month = int(m.group("m"))
            if 1 <= month <= 12:
                self.add("month", f"{m.group('y')}-{month:02d}", m.start(), m.end())
        for m in _MONTH_RE.finditer(text):
            month = int(m.group("m"))
            year = _past_year(call, month)
            if 1 <= month <= 12:
                value = f"{year}-{month:02d}" if year else f"--{month:02d}"
                self.add("month", value, m.start(), m.end())
        for m in _REL_MONTH_RE.finditer(text):
            if call is not None:
                year, month = _shift_month(call, _REL_MONTH_SHIFT[re.sub(r"[ \t]", "", m.group(1))])
                self.add("month", f"{year}-{month:02d}", m.start(), m.end())

    def times(self) -> None:
        for m in _TIME_RE.finditer(self.text):
            hour = int(m.group("h"))
            if hour > 24:
                continue
            minute = 30 if m.group("half_hour") else int(m.group("min") or 0)
            half = m.group("half")
            if (half in _HALF_DAY_PM or (half == "낮" and hour <= 6)) and hour < 12:
                hour += 12
            if minute < 60:
                self.add("time", f"{hour:02d}:{minute:02d}", m.start(), m.end())

    def units(self) -> None:
        text = self.text
        for m in _MONEY_RE.finditer(text):
            self.add("money", _plain(m.group("n")), m.start(), m.end())
        for m in _DATA_RE.finditer(text):
            unit = _DATA_UNITS.get(m.group("u"), m.group("u"))
            self.add("data", f"{m.group('n')}{unit}", m.start(), m.end())
        for m in _PERCENT_RE.finditer(text):
            if m.group().endswith("프로") and _MODEL_BEFORE_RE.search(text, 0, m.start()):
                continue  # "아이폰 15 프로" is a model name; its number stays a cardinal
            self.add("percent", f"{m.group('n')}%", m.start(), m.end())
        for m in _ORDINAL_RE.finditer(text):
            self.add("ordinal", f"{_plain(m.group('n'))}번째", m.start(), m.end())
        for m in _DURATION_RE.finditer(text):
            self.add("duration", f"{_plain(m.group('n'))}{m.group('u')}", m.start(), m.end())
        for m in _COUNT_RE.finditer(text):
            unit = m.group("u")
            if unit == "일" and not _DAY_COUNT_AFTER.match(text, m.end()):
                # "20일" alone is a day of the current month; "3일 동안" is a count.
                call = self.call_date
                day = _plain(m.group("n"))
                value = _iso(call.year, call.month, int(day)) if call and len(day) <= 2 else None
                self.add("date", value, m.start(), m.end())
                continue
            self.add("count", f"{_plain(m.group('n'))}{unit}", m.start(), m.end())

    def numbers(self) -> None:
        money_context = _MONEY_WORDS.search(self.text) is not None
        for m in _NUMBER_RE.finditer(self.text):
            number = _plain(m.group())
            form = "money" if money_context and len(number) >= 3 else "cardinal"
            self.add(form, number, m.start(), m.end())


def read_quantities(
    text: str, call_date: dt.date | None = None
) -> tuple[str, tuple[Quantity, ...]]:
    """Normalize `text` and return it with every typed value it holds, in text order.

    Args:
        text: One (redacted or raw) utterance as ASR wrote it.
        call_date: The day of the call; relative dates ("지난달 이십일", "다음 주 화요일")
            and months without a year resolve against it. Without it, those are left out
            or written without the year ("--07-20").
    """
    normalized = normalize(text)
    reader = _Reader(normalized, call_date)
    reader.identifiers()
    reader.dates()
    reader.times()
    reader.months()
    reader.units()
    reader.numbers()
    return normalized, tuple(sorted(reader.found, key=lambda q: q.start))
