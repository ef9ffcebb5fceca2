"""Find digit sequences in ASR text: ASCII digits, spoken Hangul digits, or both mixed.

Spoken digits are Sino-Korean syllables (공/영/빵, 일, 이, 삼 ...) or the native words
people use on the phone for clarity (하나, 둘, 셋, 넷, 다섯, 여섯, 일곱, 여덟, 아홉), mixed
freely within one number. The scanner is hand-written and linear in the text length: ASR
text is untrusted and may be long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from agents.korean._sino import parse_below_10000

__all__ = [
    "AFTER_PARTICLE_I_RE",
    "DigitGroup",
    "DigitRun",
    "HANGUL_DIGITS",
    "NATIVE_DIGITS",
    "copula_i_at",
    "find_digit_runs",
    "particle_syllables",
    "is_word_start",
    "readings",
]

HANGUL_DIGITS = {
    "공": "0", "영": "0", "빵": "0", "일": "1", "이": "2", "삼": "3", "사": "4",
    "오": "5", "육": "6", "륙": "6", "칠": "7", "팔": "8", "구": "9",
}
# Native words said for clarity ("하나" for 일, "둘" for 이): two-syllable words first.
NATIVE_DIGITS = {
    "하나": "1", "다섯": "5", "여섯": "6", "일곱": "7", "여덟": "8", "아홉": "9",
    "둘": "2", "셋": "3", "넷": "4",
}
_NATIVE_BY_FIRST: dict[str, tuple[tuple[str, str], ...]] = {}
for _word, _digit in NATIVE_DIGITS.items():
    _NATIVE_BY_FIRST[_word[0]] = (*_NATIVE_BY_FIRST.get(_word[0], ()), (_word, _digit))
_CARDINAL_CHARS = frozenset("일이삼사오육칠팔구십백천")
_AMOUNT_AFTER = frozenset("만억원개번명대달분초시년월일")
_SPACED_AMOUNT_AFTER = frozenset("만억원")
# Words that start with a native digit word but are no digit ("하나은행", "둘째").
_NATIVE_STOPS = tuple(
    "하나은행 하나카드 하나로 하나금융 하나증권 하나도 하나씩 하나같이 하나님 둘째 둘다 둘도 "
    "셋째 넷째 넷플 셋톱 다섯째 여섯째 일곱째 여덟째 아홉째".split()
)
# Separators people and ASR put between digit groups: hyphen, dot, comma, a closing
# bracket ("02)123-4567"), spaces, and the spoken dash forms "다시"/"대시" and linking
# "에"/"의"/"하고". Each alternative is a fixed string: no backtracking beyond one step.
_SEP_MARKS = ("다시", "대시", "하고", "-", "–", ".", ",", ")", "에", "의")
_SPACE = " \t"
_HANGUL_RE = re.compile("[가-힣]")
# "이" then a word that is no digit: the demonstrative "this".
_DEMONSTRATIVE_RE = re.compile("이[ \t]+(?![공영빵일이삼사오육륙칠팔구하둘셋넷다여아])[가-힣]")
# What can follow the subject particle 이 but not a digit: "오육칠팔이에요", "...이고요".
AFTER_PARTICLE_I_RE = re.compile("에요|요|고|구요|었|였|라|며|면|나|니|지|죠|야|랑|가|던")


def _has_batchim(char: str) -> bool:
    return "가" <= char <= "힣" and (ord(char) - 0xAC00) % 28 != 0


def copula_i_at(text: str, i: int) -> bool:
    """Whether the 이 at `i`, after a spoken number, is the copula or subject particle.

    The rule: after a syllable that ends in a consonant ("칠", "삼", "십", "둘") the copula
    keeps its 이 ("칠이에요", "삼이고요"), so an 이 there followed by an ending is the
    particle. After a vowel ("사", "오", "구", "이") the copula drops it ("사예요",
    "오고요"), so "사이요" is 4, 2 and 요. The one reading this cannot tell apart is a 2
    after a consonant before an ending ("일이요": 1 and 이요, or 12 and 요); it is read
    as the particle, the grammatical form for the shorter number.
    """
    return (
        0 < i < len(text) and text[i] == "이" and _has_batchim(text[i - 1])
        and AFTER_PARTICLE_I_RE.match(text, i + 1) is not None
    )


# What can follow a spoken digit directly: "...구요", "...팔로", "...칠입니다".
_AFTER_DIGIT_RE = re.compile(
    "요|로|으로|에|이에요|예요|입니다|이고|고|번|이요|까지|이랑|랑|이나|가|는|를|을|은|이"
)


@dataclass(frozen=True, slots=True)
class DigitGroup:
    """Contiguous digits (no separator inside) with offsets in the source text."""

    digits: str
    start: int
    end: int
    spoken: bool
    cardinal: bool = False  # four digits said as a number ("오천육백칠십팔")


@dataclass(frozen=True, slots=True)
class DigitRun:
    """Digit groups joined by separators; `start` includes a leading '+' when present."""

    start: int
    end: int
    groups: tuple[DigitGroup, ...]
    plus: bool


def _is_hangul(char: str) -> bool:
    return "가" <= char <= "힣"


def _token(text: str, pos: int, after_digit: bool) -> tuple[str, int, bool] | None:
    """The digit at `pos` as (digit, end, spoken), or None.

    A native word counts only at a word start or right after another digit, so that
    "인터넷" or "셋톱" in running text do not hold a 4 or a 3.
    """
    char = text[pos]
    if "0" <= char <= "9":
        return char, pos + 1, False
    natives = _NATIVE_BY_FIRST.get(char)
    word_start = pos == 0 or not _is_hangul(text[pos - 1])
    # "둘다" (both) is a stop, but "둘다섯" is 2 and 5.
    stop = text.startswith(_NATIVE_STOPS, pos) and not text.startswith("둘다섯", pos)
    if natives and (after_digit or (word_start and not stop)):
        for word, digit in natives:
            if text.startswith(word, pos):
                return digit, pos + len(word), True
    if char in HANGUL_DIGITS:
        return HANGUL_DIGITS[char], pos + 1, True
    return None


def _group(text: str, pos: int, after_digit: bool) -> DigitGroup | None:
    """The all-written or all-spoken group of digits starting at `pos`."""
    first = _token(text, pos, after_digit)
    if first is None:
        return None
    digits, end, spoken = [first[0]], first[1], first[2]
    while end < len(text):
        nxt = _token(text, end, True)
        if nxt is None or nxt[2] != spoken:
            break  # "5678이에요": a written group ends before the Hangul particle
        digits.append(nxt[0])
        end = nxt[1]
    return DigitGroup(digits="".join(digits), start=pos, end=end, spoken=spoken)


def _cardinal_group(text: str, pos: int) -> DigitGroup | None:
    """A four-digit group read as a number after a pause ("공일공 천이백삼십사 ...").

    Only after another group, only 1000-9999 (exactly four digits), and not before 만/억
    or a unit syllable, which would make it an amount.
    """
    end = pos
    while end < len(text) and end - pos < 8 and text[end] in _CARDINAL_CHARS:
        end += 1
    if end > pos + 1 and copula_i_at(text, end - 1):
        end -= 1  # "오천육백칠십팔이요": the last 이 is the particle ("...삼십이로" is 2)
    word = text[pos:end]
    after = end
    while after < len(text) and text[after] in _SPACE:
        after += 1
    unit = text[after] if after < len(text) else ""
    if "천" not in word or unit in (_AMOUNT_AFTER if after == end else _SPACED_AMOUNT_AFTER):
        return None
    value = _parse_thousands(word)
    if value is None:
        return None
    return DigitGroup(digits=str(value), start=pos, end=end, spoken=True, cardinal=True)


def _parse_thousands(word: str) -> int | None:
    """Parse 1000-9999 said as a number ("천이백삼십사", "오천육백칠십팔"), else None."""
    value = parse_below_10000(word)
    return value if value is not None and 1000 <= value <= 9999 else None


def _separator_end(text: str, pos: int) -> int | None:
    """End of a separator starting at `pos`, or None when none starts there."""
    end = pos
    while end < len(text) and text[end] in _SPACE:
        end += 1
    for mark in _SEP_MARKS:
        if text.startswith(mark, end):
            end += len(mark)
            while end < len(text) and text[end] in _SPACE:
                end += 1
            return end
    return end if end > pos else None


def _blocks_start(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char in "_-")


def _run_at(text: str, pos: int) -> DigitRun | None:
    """The run of groups starting at `pos` (already checked as a run start)."""
    first = _group(text, pos, False)
    if first is None:
        return None
    groups = [first]
    while True:
        found = _separator_end(text, groups[-1].end)
        glued = found is None
        # Without a separator, written digits may be glued to spoken ones ("구8890").
        sep = groups[-1].end if found is None else found
        if sep >= len(text):
            break
        nxt = None if glued else _cardinal_group(text, sep)
        nxt = nxt or _group(text, sep, True)
        if nxt is None or (glued and nxt.spoken and nxt.end - nxt.start < 2):
            break  # "5678이에요": one syllable glued to numerals is the particle
        groups.append(nxt)
    # Nothing alphanumeric may touch the end ("1234a"): drop such a last group.
    while groups and groups[-1].end < len(text) and text[groups[-1].end].isascii() \
            and text[groups[-1].end].isalnum():
        groups.pop()
    if not groups:
        return None
    start, plus = pos, False
    if pos >= 1 and text[pos - 1] == "+":
        start, plus = pos - 1, True
    elif pos >= 2 and text[pos - 1] in _SPACE and text[pos - 2] == "+":
        start, plus = pos - 2, True
    if plus and start > 0 and _blocks_start(text[start - 1]):
        start, plus = pos, False
    return DigitRun(start, groups[-1].end, tuple(groups), plus)


def find_digit_runs(text: str, min_digits: int = 1) -> list[DigitRun]:
    """Return every run of digit groups in `text` holding at least `min_digits` digits."""
    return [run for run, digits in _digit_runs(text) if digits >= min_digits]


@lru_cache(maxsize=4096)
def _digit_runs(text: str) -> tuple[tuple[DigitRun, int], ...]:
    """Every run of `text` with its digit count (where runs lie does not depend on the count).

    Cached: PII redaction, normalization and the summary's quantities scan the same
    utterance text, character by character, up to four times per turn and call end.
    """
    runs: list[tuple[DigitRun, int]] = []
    pos = 0
    while pos < len(text):
        if pos > 0 and _blocks_start(text[pos - 1]):
            pos += 1
            continue
        run = _run_at(text, pos)
        if run is None:
            # A start inside the same group would end at the same letter: skip the group.
            first = _group(text, pos, False)
            pos = first.end if first is not None else pos + 1
            continue
        runs.append((run, sum(len(g.digits) for g in run.groups)))
        pos = max(run.end, pos + 1)
    return tuple(runs)


def particle_syllables(group: DigitGroup, text: str) -> int:
    """How many final syllables of a spoken group belong to a particle: 0, 1 or 2.

    "칠이요" ends in the copula 이 (one), "칠이구요" in the spoken 이구요 (two); see
    `copula_i_at` for when an 이 is the particle.
    """
    end = group.end
    if not group.spoken or group.cardinal or len(group.digits) < 2:
        return 0
    if text[end - 1] == "이" and copula_i_at(text, end - 1):
        return 1
    if len(group.digits) > 2 and text.startswith("이구요", end - 2) and copula_i_at(text, end - 2):
        return 2
    return 0


def readings(groups: tuple[DigitGroup, ...], text: str) -> list[tuple[str, tuple[int, ...], int]]:
    """Possible (digits, group lengths, end offset) of consecutive groups, likeliest first.

    A spoken group may end in a particle's first syllable ("오육칠이에요", "칠이구요"): then
    the reading without it comes first. A final 이 the particle rule reads as a digit
    ("사이요") still offers the shorter reading second.
    """
    digits = "".join(g.digits for g in groups)
    lengths = tuple(len(g.digits) for g in groups)
    last = groups[-1]
    full = (digits, lengths, last.end)
    cut = particle_syllables(last, text)
    if cut == 0 and last.spoken and not last.cardinal and len(last.digits) > 1 \
            and text[last.end - 1] == "이":
        cut = -1
    if cut == 0:
        return [full]
    size = abs(cut)
    trimmed = (digits[:-size], (*lengths[:-1], lengths[-1] - size), last.end - size)
    return [trimmed, full] if cut > 0 else [full, trimmed]


def is_word_start(group: DigitGroup, text: str) -> bool:
    """True for one spoken syllable that starts a word: "이거예요", "일단", "이 번호로"."""
    if not group.spoken or group.end - group.start != 1 or group.end >= len(text):
        return False
    if _DEMONSTRATIVE_RE.match(text, group.start):
        return True  # "... 오육칠팔 이 카드로": "this", not a digit
    return "가" <= text[group.end] <= "힣" and _AFTER_DIGIT_RE.match(text, group.end) is None
