"""Spoken Korean numbers to written form: money, dates, counts, data sizes and phone numbers.

Works on raw ASR text (no punctuation, odd spacing). Decisions:
- Units stay Korean: "오 기가" -> "5기가" (not "5GB"), "삼만 이천 원" -> "32000원" (no commas).
- A bare digit syllable (일, 이, 사, ...) becomes a number only when a unit follows, and
  only with units that do not form common words ("이번", "사회", "구분" stay words).
- A numeral ending in "십일" with no unit is a date ("칠월 이십일" -> "7월 20일").
- ASR spaces a month or day from its digit ("구 월에", "9월 육 일"): a bare digit before a
  spaced 월 is a month unless a word like 월급 follows; before a spaced 일 only after a month.
- Native numbers change before counters ("두 대" -> "2대", "두 번" -> "2번", "세 시" ->
  "3시", "첫 번째" -> "1번째"); "한 번", "한 달", "한번" stay words, and so does "두 달
  전", a relative month the claim rules read as words.
- Digits read one by one, Sino-Korean or native ("공일공 하나둘셋넷 ..."), become digits;
  a particle glued on stays a word ("일이삼사오육칠이요" -> "1234567이요"): a final 이
  after a consonant is the copula, after a vowel it is a 2 ("사이요" -> "42요"); see
  `agents.korean.digits.copula_i_at`.
- Digit-by-digit phone numbers are written with hyphens ("010-1234-5678").
"""

from __future__ import annotations

import re
from functools import lru_cache

from agents.korean._sino import DIGIT_VALUES, PLACE_CHARS, parse_sino
from agents.korean._spoken_digits import rewrite_spoken_digits
from agents.korean.digits import HANGUL_DIGITS

__all__ = ["normalize", "parse_korean_number"]

_NUMERAL_CHARS = frozenset(DIGIT_VALUES) | PLACE_CHARS
_START_CHARS = _NUMERAL_CHARS | {"영", "공"}
_UNITS = (
    "기가바이트 메가바이트 퍼센트 개월 기가 메가 테라 시간 번째 회선 달러 유로 프로 킬로 "
    "GB MB TB 년 월 일 원 분 초 시 번 회 층 호 차 주 대 건 배 위 등 명 개 살 세 점 장 엔 %"
).split()
_UNIT_RE = re.compile(r"([ \t]?)(" + "|".join(map(re.escape, _UNITS)) + r")(?![A-Za-z])")
_BARE_GLUED = frozenset(
    "일 월 년 개월 분 초 층 호 회 차 번 번째 위 등 배 퍼센트 프로 회선 GB MB TB %".split()
)
_BARE_SPACED = frozenset(
    "기가 기가바이트 메가 메가바이트 테라 개월 퍼센트 프로 달러 년 GB MB TB %".split()
)
# Words that start like "digit + unit" but are ordinary vocabulary.
_STOP_PREFIXES = tuple(
    "일일이 이번 사번 이분 구분 사회 오차 구차 구호 사위 오배 만일 만약 천만에 이등분 일회용 "
    "일등석 이월되 이월돼 이월된 이월금 이월액 이월분 이월하 이월해 이월한 만세 천호 백일몽 "
    "사차원 삼차원 이차원".split()
)
_BOUNDARY_PARTICLES = re.compile(
    r"$|[^가-힣]|이에요|예요|이요|요|입니다|이고|이나|이|가|은|는|을|를|에|으로|로|도|까지|부터|쯤|정도|씩|밖에"
)
_DECIMAL_RE = re.compile(
    r"([일이삼사오육칠팔구십영공]+|\d+)[ \t]?(?:점|쩜)[ \t]?([일이삼사오육칠팔구영공]+|\d+)"
    r"[ \t]?(기가|메가|테라|퍼센트|프로|GB|MB|TB|%|배)"
)
_GLUE_PARTICLES = frozenset("이가은는을를에도로")
_NOT_AMOUNTS = frozenset({"이만", "오만", "천만"})
_DAY_AFTER_RE = re.compile(r"[ \t]{0,3}[일이삼사오육칠팔구십0-9]{1,4}[ \t]?일")
# What may follow a month read digit by unit ("구 월에", "팔 월 요금"), but not the words
# that start with 월 ("오 월급", "이 월세", "일 월요일").
_MONTH_END_RE = re.compile(r"$|[^가-힣]|에|은|는|이|도|달|말|초|중|까지|부터|분|요금|치|거")
# A month just before: "구월 육 일", "9월 육 일" (ASR spaces the day from its digit).
_MONTH_BEFORE_RE = re.compile(r"(?:[0-9일이삼사오육칠팔구십유시][ \t]?월|달)[ \t]*$")
_DAYS_AFTER_RE = re.compile(r"[ \t]?(?:동안|정도|이내|안에|후에|뒤에|만에|걸려|걸리|걸린|걸립|째)")
_MONTH_WORDS_RE = re.compile(r"(?<![가-힣])(유|시)월(?=$|[^가-힣]|에|까지|부터|말|초|중|달)")
_NATIVE = {
    "한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9,
    "열": 10, "열한": 11, "열두": 12, "열세": 13, "열네": 14, "열다섯": 15, "스무": 20, "첫": 1,
}
# Native numbers before counters. Each alternative is a fixed word: linear-time matching.
_NATIVE_RE = re.compile(
    r"(?<![가-힣])(열다섯|열한|열두|열세|열네|다섯|여섯|일곱|여덟|아홉|스무|한|두|세|네|열|첫)"
    r"([ \t]?)(번째|개월|개|대|명|시간|살|장|건|회선|번|달|시|기가|가지|군데|통|자리)"
    r"(?=$|[^가-힣]|이|가|은|는|을|를|에|요|예요|였|씩|정도|쯤|짜리|도|만|까지|밖에|부터|반|"
    r"동안|넘게|나|전|후|뒤|째|만에|이나|라고|라서|인데|인가|이라)"
)
# "한 번", "한 달", "한 가지" are mostly words ("한번 볼게요"); "첫" counts only as "첫 번째".
_NATIVE_WORDS_WITH_ONE = frozenset({"번", "달", "가지", "통", "군데", "자리"})
_BEFORE_AGO_RE = re.compile(r"[ \t]?전")
# A spaced Sino digit before 번/회선 is a number ("오 번", "삼 회선"), but "이 번" is "this".
_SPACED_NOT_AFTER_I = frozenset({"번", "회선", "분", "초", "개", "명", "대", "건"})


def _native_count(match: re.Match[str]) -> str:
    word, space, unit = match.group(1), match.group(2), match.group(3)
    if not space and word in ("세", "네", "열"):
        return match.group(0)  # "세대", "네개" are rarer than words like "세시봉"
    if word == "한" and unit in _NATIVE_WORDS_WITH_ONE:
        return match.group(0)
    if word == "첫" and unit != "번째":
        return match.group(0)
    if unit == "달" and _BEFORE_AGO_RE.match(match.string, match.end()):
        return match.group(0)  # "두 달 전" is a relative month the claim rules read as words
    return f"{_NATIVE[word]}{unit}"


# No cardinal has more syllables than this ("구천구백구십구만 ..."): bounds the work per start.
_MAX_NUMERAL = 24


def _is_start(text: str, i: int) -> bool:
    if i == 0:
        return True
    prev = text[i - 1]
    return not ("가" <= prev <= "힣" or prev.isascii() and prev.isalnum())


def _after_glued_particle(text: str, i: int) -> bool:
    return i >= 2 and text[i - 1] in _GLUE_PARTICLES and "가" <= text[i - 2] <= "힣"


def _chain(text: str, i: int) -> tuple[str, list[int]]:
    """Numeral characters from `i`, allowing single spaces; returns chars and end offsets."""
    chars: list[str] = []
    ends: list[int] = []
    pos = i
    while pos < len(text) and len(chars) < _MAX_NUMERAL:
        if text[pos] in _NUMERAL_CHARS:
            chars.append(text[pos])
            ends.append(pos + 1)
            pos += 1
        elif text[pos] in " \t" and pos + 1 < len(text) and text[pos + 1] in _NUMERAL_CHARS:
            pos += 1
        else:
            break
    return "".join(chars), ends


def _match_number(text: str, i: int, glued: bool = False) -> tuple[int, str] | None:
    """Return (end offset, written form) for the numeral starting at `i`, if any.

    `glued` numerals follow a particle with no space ("요금이삼만원"): they need a place
    value and a unit to count.
    """
    if text.startswith(_STOP_PREFIXES, i):
        return None
    chars, ends = _chain(text, i)
    for k in range(len(chars), 0, -1):
        sub, end = chars[:k], ends[k - 1]
        value = parse_sino(sub)
        if value is None or sub.isascii():
            continue
        bare = len(sub) == 1 and sub in DIGIT_VALUES
        unit = _UNIT_RE.match(text, end)
        if glued and (unit is None or not PLACE_CHARS.intersection(sub)):
            continue
        if unit:
            if bare and not _bare_unit_ok(text, sub, unit):
                continue
            return unit.end(), f"{value}{unit.group(2)}"
        if len(sub) == 1 or not _BOUNDARY_PARTICLES.match(text, end):
            continue
        if sub[-1] == "이" and sub[-2] in PLACE_CHARS:
            continue  # "이천이 나왔어요": the last 이 is a particle
        if sub.endswith("십일"):
            return end, f"{value - 1}일"  # "이십일" without a unit is the 20th
        hangul = sum(1 for c in sub if not c.isascii())
        if hangul >= 3 or hangul < len(sub) or (sub[-1] in "만억" and sub not in _NOT_AMOUNTS):
            return end, str(value)
    return None


def _bare_unit_ok(text: str, digit: str, unit: re.Match[str]) -> bool:
    if digit == "이" and unit.group(2) == "월":
        # "이월" is also data carry-over; read it as February only before a day.
        return _DAY_AFTER_RE.match(text, unit.end()) is not None
    if unit.group(1) and unit.group(2) == "월":
        # Spoken months come spaced ("구 월에"); a bare digit then needs what ends a month.
        return _MONTH_END_RE.match(text, unit.end()) is not None
    if unit.group(1) and unit.group(2) == "일":
        # "육 일" alone may be a word pair; right after a month it is the day, and before
        # "걸려요", "동안", "후" it is a number of days.
        if digit != "이" and _DAYS_AFTER_RE.match(text, unit.end()):
            return True  # "이 일 동안" may be "during this work"
        end = unit.start() - len(digit)
        return _MONTH_BEFORE_RE.search(text, max(0, end - 8), end) is not None
    if unit.group(1) and unit.group(2) in _SPACED_NOT_AFTER_I:
        return digit != "이" or unit.group(2) == "초"
    if not unit.group(1) and unit.group(2) == "기가":
        return digit in "삼육칠팔구"  # "사기가", "일기가", "오기가", "이기가" are words
    allowed = _BARE_SPACED if unit.group(1) else _BARE_GLUED
    return unit.group(2) in allowed


def _match_decimal(text: str, i: int) -> tuple[int, str] | None:
    """"일 점 오 기가" -> "1.5기가": only before a unit, since 점 is also a word."""
    match = _DECIMAL_RE.match(text, i)
    if match is None:
        return None
    whole = parse_korean_number(match.group(1))
    if whole is None:
        return None
    fraction = "".join(HANGUL_DIGITS.get(c, c) for c in match.group(2))
    return match.end(), f"{whole}.{fraction}{match.group(3)}"


def _rewrite_sino(text: str) -> str:
    out: list[str] = []
    i = cursor = 0
    while i < len(text):
        if text[i] in _START_CHARS and (_is_start(text, i) or _after_glued_particle(text, i)):
            found = _match_decimal(text, i) or _match_number(text, i, glued=not _is_start(text, i))
            if found:
                out.append(text[cursor:i])
                out.append(found[1])
                i = cursor = found[0]
                continue
        i += 1
    out.append(text[cursor:])
    return "".join(out)


# ASR writes mixed amounts with numerals: "17만5800원", "13만 1700 원", "10만 5천원".
_MAN_DIGITS_RE = re.compile(
    r"(?<![\d,.])(\d{1,4})[ \t]?만(?:[ \t]?(\d)[ \t]?천)?(?:[ \t]?(\d{1,4}))?[ \t]?원"
)



def _man_digits(match: re.Match[str]) -> str:
    man, cheon, rest = (int(match.group(k) or 0) for k in (1, 2, 3))
    return f"{man * 10_000 + cheon * 1000 + rest}원"


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Return `text` with spoken Korean numbers, money, dates and phone numbers in digits.

    Cached (a pure function of the text): the turn normalizes a customer's utterance and
    the call's summary reads the quantities of the same text again.
    """
    text = rewrite_spoken_digits(text)
    text = _MAN_DIGITS_RE.sub(_man_digits, text)
    text = _MONTH_WORDS_RE.sub(lambda m: "6월" if m.group(1) == "유" else "10월", text)
    text = _rewrite_sino(text)
    return _NATIVE_RE.sub(_native_count, text)


def parse_korean_number(token: str) -> int | None:
    """Parse one number token, or return None.

    Examples: "삼만 이천" -> 32000, "만" -> 10000, "3만" -> 30000, "32,000" -> 32000,
    "두" -> 2. Digit-by-digit readings ("일이삼") are not numbers here and give None.
    """
    compact = re.sub(r"[\s,]", "", token).removesuffix("원")
    if compact in ("영", "공"):
        return 0
    if compact.isascii():
        return int(compact) if compact.isdigit() else None
    if compact in _NATIVE:
        return _NATIVE[compact]
    return parse_sino(compact)
