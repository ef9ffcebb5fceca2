"""Spoken Korean numbers to written form, and the words that must not change."""

from __future__ import annotations

import pytest

from agents.korean import normalize, parse_korean_number
from agents.korean.quantities import read_quantities


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("삼만 이천 원", "32000원"),
        ("만 원", "10000원"),
        ("이십오일", "25일"),
        ("칠월 이십일", "7월 20일"),
        ("공일공 일이삼사 오육칠팔", "010-1234-5678"),
        ("영일영에 일이삼사에 오육칠팔로 연락 주세요", "010-1234-5678로 연락 주세요"),
        ("일오팔팔 일이삼사", "1588-1234"),
        ("오 기가", "5기가"),
        ("천오백원", "1500원"),
        ("일억", "100000000"),
        ("3만 2천 원", "32000원"),
        ("이천이십사년 유월 십오일", "2024년 6월 15일"),
        ("요금이 삼만 이천이에요", "요금이 32000이에요"),
        ("이십일 일까지", "21일까지"),
        ("삼 개월 약정", "3개월 약정"),
        ("일 년 약정", "1년 약정"),
        ("일 점 오 기가", "1.5기가"),
        ("두 대 있어요", "2대 있어요"),
        ("카드 끝자리 일이삼사요", "카드 끝자리 1234요"),
        ("이번달요금이삼만원", "이번달요금이30000원"),
        ("이월 십일", "2월 10일"),
    ],
)
def test_spoken_numbers_are_written(spoken: str, written: str) -> None:
    assert normalize(spoken) == written


@pytest.mark.parametrize(
    "text",
    [
        "이 요금", "일이 있어서", "사용", "만약", "오늘", "구독", "천천히", "이번 달", "일단",
        "한 달 동안", "한 번 했어요", "두 달 전 거요", "이 번에는",
        "이 회선 해지", "사기가 의심돼요", "데이터 이월돼요", "이분이 가입했어요",
        "천만에요", "이동통신", "사회", "구분", "이만 끊을게요", "이 일 때문에", "일시정지",
        "이천에 살아요", "세대", "삼성 갤럭시", "백화점", "이 점 참고해 주세요", "공사 중",
    ],
)
def test_ordinary_words_stay(text: str) -> None:
    assert normalize(text) == text


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        # ASR writes a month's digit apart from 월; any digit but 이 reads as the month.
        ("구 월에 왜 돈이 나가", "9월에 왜 돈이 나가"),
        ("팔 월 요금에 붙어 있어요", "8월 요금에 붙어 있어요"),
        ("팔 월 월 요금", "8월 월 요금"),
        ("오 월분 요금", "5월분 요금"),
        ("삼 월까지", "3월까지"),
        # 이 before 월 is February only with a day after, spaced or not.
        ("이 월 오 일", "2월 5일"),
        # A spaced bare day right after a month is the day of a date.
        ("구월 육 일이요", "9월 6일이요"),
        ("9월 육 일이요", "9월 6일이요"),
        ("구 월 사 일까지", "9월 4일까지"),
        # A spaced bare day before "동안", "걸려요", "후에" is a number of days.
        ("오 일 동안 끊겼어요", "5일 동안 끊겼어요"),
        ("삼 일 걸린대요", "3일 걸린대요"),
    ],
)
def test_spaced_spoken_dates_are_written(spoken: str, written: str) -> None:
    assert normalize(spoken) == written


@pytest.mark.parametrize(
    "text",
    ["오 월급", "이 월세 내요", "일 월요일", "데이터 이 월 안 돼요", "이 일 때문에", "이 일 동안"],
)
def test_words_after_a_spaced_digit_stay(text: str) -> None:
    # 월급, 월세 and 월요일 start with 월; "이 월" alone may be carry-over; a day needs a month.
    assert normalize(text) == text


def test_normalize_is_stable_on_written_text() -> None:
    text = "32000원 010-1234-5678 2024년 6월 15일 5G 프리미어"
    assert normalize(text) == text
    assert normalize(normalize("삼만 이천 원")) == "32000원"


@pytest.mark.parametrize(
    ("token", "value"),
    [("삼만 이천", 32000), ("만", 10000), ("3만", 30000), ("32,000", 32000), ("천오백", 1500),
     ("일억 이천만", 120000000), ("두", 2), ("영", 0), ("일이", None), ("사용", None), ("", None)],
)
def test_parse_korean_number(token: str, value: int | None) -> None:
    assert parse_korean_number(token) == value


def test_counts_with_the_jari_counter() -> None:
    assert normalize("비밀번호 여섯 자리요") == "비밀번호 6자리요"
    assert normalize("한 자리에 모였어요") == "한 자리에 모였어요"  # "together", not a count


def test_pro_after_a_device_is_a_model_name() -> None:
    forms = [(q.form, q.value) for q in read_quantities("아이폰 16 프로 맥스로 바꿀래요")[1]]
    assert forms == [("cardinal", "16")]
    assert [(q.form, q.value) for q in read_quantities("할인 이십 프로 돼요")[1]] == [
        ("percent", "20%")]
