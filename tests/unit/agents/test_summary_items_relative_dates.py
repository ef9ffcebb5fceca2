"""Generated: relative dates said in a call resolve to the right day for any call date."""

from __future__ import annotations

import calendar
import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.summary_items import extract_items

_WEEKDAYS = "월화수목금토일"
_DAY_WORDS = {"그저께": -2, "어제": -1, "오늘": 0, "내일": 1, "모레": 2}
_WEEK_WORDS = {"지난주": -1, "이번 주": 0, "다음 주": 1, "다다음 주": 2}
_HOURS = ["한", "두", "세", "네", "다섯", "여섯", "일곱", "여덟", "아홉", "열", "열한"]

call_dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31))


def _dates(text: str, call_date: dt.date) -> list[str]:
    items = extract_items([(0, "customer", text)], call_date)
    return [item.value for item in items.dates]


@settings(max_examples=150, deadline=None)
@given(call_dates, st.sampled_from(sorted(_DAY_WORDS)))
def test_day_words_shift_the_call_date(call_date: dt.date, word: str) -> None:
    expected = call_date + dt.timedelta(days=_DAY_WORDS[word])
    assert _dates(f"{word}까지 서류를 보낼게요.", call_date) == [expected.isoformat()]


@settings(max_examples=150, deadline=None)
@given(call_dates, st.sampled_from(sorted(_WEEK_WORDS)), st.integers(0, 6))
def test_week_and_weekday_land_in_that_week(call_date: dt.date, week: str, weekday: int) -> None:
    monday = call_date - dt.timedelta(days=call_date.weekday())
    expected = monday + dt.timedelta(weeks=_WEEK_WORDS[week], days=weekday)
    said = f"{week} {_WEEKDAYS[weekday]}요일에 방문할게요."
    assert _dates(said, call_date) == [expected.isoformat()]


@settings(max_examples=150, deadline=None)
@given(call_dates, st.sampled_from(["이번 달", "다음 달"]))
def test_month_end_is_the_last_day(call_date: dt.date, month_word: str) -> None:
    year, month = call_date.year, call_date.month
    if month_word == "다음 달":
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    expected = dt.date(year, month, calendar.monthrange(year, month)[1])
    assert _dates(f"{month_word} 말까지 납부할게요.", call_date) == [expected.isoformat()]


@settings(max_examples=150, deadline=None)
@given(call_dates, st.sampled_from(sorted(_DAY_WORDS)), st.integers(1, 11), st.booleans(),
       st.booleans())
def test_a_time_joins_its_day(
    call_date: dt.date, word: str, hour: int, afternoon: bool, half: bool
) -> None:
    day = call_date + dt.timedelta(days=_DAY_WORDS[word])
    said = f"{word} {'오후' if afternoon else '오전'} {_HOURS[hour - 1]} 시{' 반' if half else ''}"
    expected = f"{day.isoformat()}T{hour + 12 * afternoon:02d}:{30 if half else 0:02d}"
    assert _dates(f"{said}에 다시 전화할게요.", call_date) == [expected]


@settings(max_examples=150, deadline=None)
@given(call_dates, st.sampled_from([("지난달", -1), ("이번 달", 0), ("다음 달", 1)]),
       st.integers(1, 28))
def test_a_day_of_a_relative_month(call_date: dt.date, month: tuple[str, int], day: int) -> None:
    word, shift = month
    index = call_date.year * 12 + call_date.month - 1 + shift
    expected = dt.date(index // 12, index % 12 + 1, day)
    assert _dates(f"{word} {day}일까지 입금할게요.", call_date) == [expected.isoformat()]
