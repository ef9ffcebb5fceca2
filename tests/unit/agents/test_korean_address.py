"""Addresses are redacted in road-name, lot-number and apartment forms, numbers said any way."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.korean import PiiKind, redact
from agents.korean.pii import find_pii

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

# Vocabulary of this test only (not the detector's lists): real places, drawn at random.
_CITIES = ("서울", "서울시", "서울특별시", "부산광역시", "대구", "인천광역시", "경기도", "경기",
           "강원도", "충청남도", "전라북도", "경상남도", "제주특별자치도", "세종시", "")
_DISTRICTS = ("강남구", "마포구", "수원시 영통구", "성남시 분당구", "해운대구", "남동구",
              "청주시 상당구", "고양시 일산동구", "춘천시", "양평군", "")
_ROADS = ("테헤란로", "월드컵북로", "판교역로", "세종대로", "중앙로", "경인로", "봉은사로",
          "도산대로", "광평로", "백범로", "해운대해변로", "동일로", "새말로")
_LOTS = ("역삼동", "상계동", "우동", "봉천동", "신림2동", "정자동", "구월동", "삼성동")
_TOWNSHIPS = ("청평면 대성리", "양서면 용담리", "조천읍 함덕리", "부발읍 아미리")
_BUILDINGS = ("래미안아파트", "현대아파트", "행복빌라", "푸른오피스텔", "삼익맨션", "")
_INTROS = ("주소는 ", "배송지는 ", "집 주소가 ", "청구지 주소 ", "우편물은 ", "제가 사는 곳은 ",
           "", "네 ")
# Endings by the last sound: "삼이에요" after a consonant, "사예요" after a vowel.
_AFTER_CONSONANT = ("이에요", "이요", "이고요", "입니다", "으로 바꿔 주세요", " 맞아요",
                    "에 살아요", "")
_AFTER_VOWEL = ("예요", "요", "고요", "입니다", "로 보내 주세요", " 맞아요", "에 살아요", "")
_AFTER_RIEUL = ("이에요", "이요", "이고요", "로 보내 주세요", "")
_SINO = "영일이삼사오육칠팔구"


def _say(n: int, rng: random.Random) -> str:
    """A number as callers say it: numerals, a Sino-Korean cardinal, or digit by digit."""
    style = rng.random()
    if style < 0.4:
        return str(n)
    if style < 0.55 and n >= 100:  # "이사" for 24 would be a word: two digits are said as 이십사
        return "".join(_SINO[int(d)] for d in str(n))
    out = ""
    for mark, size in (("천", 1000), ("백", 100), ("십", 10)):
        head, n = divmod(n, size)
        if head:
            out += ("" if head == 1 else _SINO[head]) + mark
    return out + (_SINO[n] if n else "")


def _address(rng: random.Random) -> str:
    form = rng.choice(("road", "lot", "township", "road_sub"))
    region = " ".join(p for p in (rng.choice(_CITIES), rng.choice(_DISTRICTS)) if p)
    number = _say(rng.randrange(1, 1500), rng)
    if form in ("road", "road_sub"):
        street = rng.choice(_ROADS)
        if form == "road_sub":
            sub = _say(rng.randrange(1, 120), rng)
            street += rng.choice((" ", "")) + sub + rng.choice(("번길", "길", " 번길"))
        place = f"{street} {number}"
    elif form == "lot":
        dash = rng.choice(("-", " 다시 ", "의 "))
        tail = f"{dash}{_say(rng.randrange(1, 99), rng)}" if rng.random() < 0.6 else ""
        place = f"{rng.choice(_LOTS)} {number}{tail}" + rng.choice(("번지", " 번지", ""))
        if not tail and not place.endswith("번지"):
            place += "번지"  # a bare "역삼동 12" says too little; callers add 번지 or a sub-number
    else:
        place = f"{rng.choice(_TOWNSHIPS)} {rng.choice(('산 ', ''))}{number}번지"
        region = region or rng.choice(_DISTRICTS[:-1])
    if not region and form == "road" and rng.random() < 0.5:
        region = rng.choice(_DISTRICTS[:-1])
    address = f"{region} {place}".strip()
    if rng.random() < 0.4:
        building = rng.choice(_BUILDINGS)
        unit = f"{_say(rng.randrange(101, 120), rng)}{rng.choice(('동', ' 동'))} " \
               f"{_say(rng.randrange(101, 2500), rng)}{rng.choice(('호', ' 호'))}"
        address += " " + (f"{building} {unit}" if building else unit)
    return address


def _apartment(rng: random.Random) -> str:
    unit = f"{_say(rng.randrange(101, 120), rng)}{rng.choice(('동', ' 동'))} " \
           f"{_say(rng.randrange(101, 2500), rng)}{rng.choice(('호', ' 호'))}"
    building = rng.choice(_BUILDINGS)
    return f"{building} {unit}" if building else unit


def _ending(rng: random.Random, said: str) -> str:
    last = said[-1]
    if last.isdigit():
        last = "영일이삼사오육칠팔구"[int(last)]
    final = (ord(last) - 0xAC00) % 28
    if final == 8:  # ㄹ: "칠로", "팔이에요"
        return rng.choice(_AFTER_RIEUL)
    return rng.choice(_AFTER_CONSONANT if final else _AFTER_VOWEL)


def _hidden(text: str, start: int, end: int) -> bool:
    covered = {i for s in find_pii(text) for i in range(s.start, s.end)}
    return all(i in covered for i in range(start, end) if not text[i].isspace())


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), apartment=st.booleans())
def test_any_address_said_any_way_is_redacted(seed: int, apartment: bool) -> None:
    rng = random.Random(seed)
    address = _apartment(rng) if apartment else _address(rng)
    intro = rng.choice(_INTROS) if apartment or address.split()[0] in _DISTRICTS + _CITIES \
        else rng.choice(_INTROS[:5])  # a street alone needs a word that says "address"
    text = intro + address + _ending(rng, address)
    assert _hidden(text, len(intro), len(intro) + len(address)), text
    assert PiiKind.ADDRESS in {s.kind for s in find_pii(text)}, text
    # The words around the address stay: nothing before the intro's end is hidden.
    assert redact(text).text.startswith(intro.rstrip()), text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("주소는 서울시 강남구 테헤란로 백이십삼이에요", "주소는 [주소]이에요"),
        ("주소는 정자동 일이삼이에요", "주소는 [주소]에요"),  # the 이 may be a 2: hidden
        ("서울 강남구 테헤란로 123", "[주소]"),
        ("배송지는 역삼동 칠백삼십칠의 일 번지요", "배송지는 [주소]요"),
        ("양평군 양서면 용담리 산 이십사 번지예요", "[주소]예요"),
        ("인천 남동구 경인로 칠십일번길 12로 보내 주세요", "[주소]로 보내 주세요"),
        ("현대아파트 백일 동 천이백삼 호예요", "[주소]예요"),
        ("101동 1203호로 와 주세요", "[주소]로 와 주세요"),
        ("서울 중구 세종대로 지하 이에 있어요", "[주소]에 있어요"),
    ],
)
def test_hand_written_addresses(text: str, expected: str) -> None:
    assert redact(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "강남구에 있는 대리점에서 개통했어요",  # a district alone names an area
        "서울시 강남구 역삼동에 살아요",  # no street or lot number
        "요금제로 3만 원 더 나왔어요",  # 로 is a particle before an amount
        "강남구 역삼동 2시에 방문할게요",  # a time, not a lot number
        "이동 2번 했어요",
        "5G 요금제로 바꿀게요",
        "아이폰 15 프로 맥스로 바꿨어요",
        "지하철 2호선 타고 왔어요",
        "배송지로 이 주소 써 주세요",
        "끝자리 1234요",
        "이 카드로 1234 결제했어요",
        "데이터로 5기가 더 주세요",
        "2024년 6월 15일에 이사했어요",
        "호텔 301호에 묵었어요",
    ],
)
def test_places_and_numbers_that_are_no_address_stay(text: str) -> None:
    assert all(s.kind is not PiiKind.ADDRESS for s in find_pii(text)), text
