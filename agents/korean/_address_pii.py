"""Find Korean postal addresses: road-name and lot-number forms, apartment dong and ho.

The rule: an address names one building, so it needs a street or lot with its number
("테헤란로 123", "역삼동 123-45번지") or a building's unit ("101동 1203호"). A district or a
town alone ("강남구에 있는 대리점") names an area, not a home, and stays. A street or lot
with a number also needs one sign that it is an address, because "요금제로 3", "이동 2"
are words and particles: a city or district before it, an address word before it
(주소, 배송지 ...), or a marker only addresses carry (번길, N길, 번지, 산, 동/호).
Numbers may be numerals or spoken Sino-Korean ("백이십삼", digit by digit "일이삼").
Every repeat is bounded or atomic: matching is linear in the text length.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from agents.korean._sino import parse_sino
from agents.korean.digits import HANGUL_DIGITS

__all__ = ["find_addresses"]

_CITY = (
    r"(?:서울|부산|대구|인천|광주|대전|울산|세종)(?:특별시|광역시|특별자치시|시)?"
    r"|(?:경기|강원|충청[남북]|전라[남북]|경상[남북]|제주)(?:특별자치)?도?|(?:충|전|경)[남북]"
)
_DISTRICT = r"[가-힣]{1,5}(?:시|군|구|읍|면)"
# Words that end like a district but are not one; as the first word they would pass for
# a region and both widen the span and wave a "카드로 1234" through.
_NOT_DISTRICTS = frozenset(
    "다시 혹시 역시 잠시 당시 동시 즉시 항시 수시 임시 정시 표시 무시 감시 지시 제시 게시 "
    "개시 도시 가구 친구 요구 연구 입구 출구 창구 도구 기구 지구 전구 추구 야구 농구 축구 "
    "배구 장군 그러면 이면 라면 앞면 뒷면 화면 측면 정면 전면 방면 반면 "
    "서면 대면 하면 되면 있으면 없으면 보면".split()
)
# Atomic: a number is read whole, so "삼만 원" cannot shrink to "삼" and pass the checks.
_NUM = r"(?>\d{1,5}|[영공일이삼사오육칠팔구십백천]{1,9})"
_SEP = r"[ \t]?(?:-|의|다시)[ \t]?"
_SEP_RE = re.compile(_SEP)
_PLACES = frozenset("십백천")
# A unit after the number makes it an amount or a count ("2시에", "3번 버스"), but only as a
# whole word: "123 대리점" has no unit.
_UNIT_AFTER = re.compile(
    r"[ \t]?(?:원|개|명|분|초|시|기가|메가|개월|년|월|달|주|시간|번|퍼센트|프로"
    r"|만|억|대|회|건|살|세|배|등|위|차|GB|MB|%)(?=$|[^가-힣]|[이가은는을를에도요의만씩짜])"
)
# What may follow a unit number: "1203호에", "1203호실", but not "3호선" or "호텔".
_ENDINGS = (
    r"에서|에|으로|로|예요|이에요|입니다|이요|요|이고|고|까지|는|도|인데|라고|쯤|가|이|을|를|은|의"
    r"|였|이었|이라|이죠|죠|이지|이면|이랑|랑|하고|부터"
)
_HO_END = rf"(?=$|[^가-힣]|실|{_ENDINGS})"
# After the building or lot number: an ending, or what else an address says.
_AFTER_NUMBER = re.compile(rf"$|[^가-힣0-9A-Za-z]|{_ENDINGS}|번지|층")
_ROAD = (
    r"(?P<road>[가-힣]{1,8}?(?:\d{1,3}|[일이삼사오육칠팔구십]{1,3})?(?:대로|로|길))"
    rf"(?:[ \t]?(?P<sub>{_NUM})[ \t]?(?:번[ \t]?길|길))?[ \t]?(?P<under>지하[ \t]?)?"
)
_LOT = (
    r"(?P<lot>[가-힣]{1,6}?(?:\d{1,2}|[일이삼사오육칠팔구])?(?:동|리)"
    r"|[가-힣]{1,5}?(?:\d|[일이삼사오육칠팔구])가)[ \t]?(?P<san>산[ \t]?)?"
)
_BUILDING = r"(?:아파트|빌라|오피스텔|맨션|빌딩|타워|하이츠|캐슬|주택)"
_UNIT = (
    rf"(?:[ \t]*,?[ \t]*[가-힣A-Za-z0-9]{{0,12}}?{_BUILDING})?"
    rf"(?:[ \t]*(?P<dong>{_NUM})[ \t]?동)?(?:[ \t]*(?P<ho>{_NUM})[ \t]?호{_HO_END})?"
    rf"(?:[ \t]*(?P<floor>{_NUM})[ \t]?층)?"
)
_ADDRESS_RE = re.compile(
    rf"(?<![가-힣])(?P<region>(?:(?:{_CITY})[ \t]+)?(?:{_DISTRICT}[ \t]+){{0,3}})"
    rf"(?:{_LOT}|{_ROAD})(?P<num>{_NUM})(?P<second>{_SEP}{_NUM})?(?P<bunji>[ \t]?번지)?"
    + _UNIT
)
_APARTMENT_RE = re.compile(
    rf"(?<![가-힣0-9])(?:[가-힣A-Za-z0-9]{{1,12}}?{_BUILDING}[ \t]*)?"
    rf"(?P<dong>{_NUM})[ \t]?동[ \t]*(?P<ho>{_NUM})[ \t]?호{_HO_END}"
    rf"|(?<![가-힣0-9])[가-힣A-Za-z0-9]{{1,12}}?{_BUILDING}[ \t]*(?P<ho2>{_NUM})[ \t]?호{_HO_END}"
)
_CONTEXT_RE = re.compile(
    r"주소|배송지|사는[ \t]?곳|거주|자택|우편|청구지|설치|이사|택배|배송|집은|집이|집 "
)
_WINDOW = 24
# Lot names that are common words: "자동 3개", "이동 2-3".
_NOT_LOTS = frozenset(
    "자동 이동 변동 행동 활동 작동 운동 노동 감동 연동 공동 충동 가동 출동 발동 진동 수동 "
    "구동 기동 유동 일동 이리 우리 소리 자리 거리 머리 처리 관리 정리 요리 유리 사리".split()
)
# Spoken words made of digit syllables: no building is "이사" (24) said aloud.
_NOT_NUMBERS = frozenset("이사 사이 오일 일일 구구 사사 이이 오구 일구 이구".split())


def _number_ok(said: str, strong: bool) -> bool:
    """A numeral, a Sino-Korean cardinal, or 2+ digits said one by one."""
    if said.isascii():
        return True
    if not strong and (said in _NOT_NUMBERS or len(said) == 1):
        return False  # "이", "이사" are words unless an address marker (길, 번지, 동, 호) is near
    return parse_sino(said) is not None or all(c in HANGUL_DIGITS for c in said)


def _region_start(match: re.Match[str]) -> int:
    """Start of the region, skipping leading words that only look like districts."""
    start = match.start("region")
    for word in match.group("region").split():
        if word not in _NOT_DISTRICTS:
            break
        start = match.string.index(word, start) + len(word)
        while match.string[start] in " \t":
            start += 1
    return start


def _span_end(match: re.Match[str]) -> int:
    """Where the span ends: a final 이 that no number can hold stays outside.

    "천사백이십사이요" cannot end in a digit 2, so its 이 is the copula. When the 이 may be
    a digit ("백이십이요", "일이삼이에요") it is hidden: a digit must not leak, while the
    particle rule of `copula_i_at` decides only how normalization reads it.
    """
    end, text = match.end(), match.string
    for name in ("second", "num"):
        said = match.group(name)
        if not said or match.end(name) != end or text[end - 1] != "이":
            continue
        number = _SEP_RE.sub("", said)
        if not _number_ok(number, strong=True) and _number_ok(number[:-1], strong=True):
            return end - 1
    return end


def _numbers(match: re.Match[str], end: int, names: tuple[str, ...]) -> list[str]:
    """The numbers said in `names`, cut at `end` and without their separators."""
    text = match.string
    out = []
    for name in names:
        if match.group(name):
            said = text[match.start(name) : min(match.end(name), end)]
            out.append(_SEP_RE.sub("", said) if name == "second" else said)
    return out


def _street(match: re.Match[str]) -> tuple[int, int] | None:
    """The span of a road or lot match when it passes the address rule, else None."""
    text = match.string
    end = _span_end(match)
    if _UNIT_AFTER.match(text, end) or not _AFTER_NUMBER.match(text, end):
        return None
    start = _region_start(match)
    lot = match.group("lot")
    region = text[start : match.start("lot") if lot else match.start("road")].strip()
    if lot and (lot in _NOT_LOTS or (lot.endswith("리") and not region)):
        return None  # a village (리) is only said after its township
    marker = any(match.group(g) for g in ("sub", "san", "bunji", "dong", "ho", "under"))
    first, *rest = _numbers(match, end, ("num", "second", "sub", "dong", "ho", "floor"))
    # One digit syllable after a district and a street is the number ("판교역로 구요"), but
    # a spaced 이 may be "this" ("테헤란로 이 근처").
    single_ok = len(first) == 1 and bool(region) and (
        first != "이" or end == len(text) or not text[end].isspace())
    strong = marker or bool(match.group("second")) or single_ok
    if not _number_ok(first, strong) or not all(_number_ok(n, True) for n in rest):
        return None
    context = _CONTEXT_RE.search(text, max(0, start - _WINDOW), start) is not None
    return (start, end) if region or context or marker or (lot and match.group("second")) \
        else None


def find_addresses(text: str) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of every address in `text`."""
    for match in _ADDRESS_RE.finditer(text):
        span = _street(match)
        if span:
            yield span
    for match in _APARTMENT_RE.finditer(text):
        numbers = [match.group(g) for g in ("dong", "ho", "ho2") if match.group(g)]
        if all(_number_ok(n, strong=True) for n in numbers):
            yield match.start(), match.end()
