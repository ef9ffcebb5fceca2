"""A particle after spoken digits stays a word: "일이삼사오육칠이요" is 1234567 and 이요."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.korean import normalize

SETTINGS = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

_SINO = ("공", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구")
_NATIVE = ("공", "하나", "둘", "셋", "넷", "다섯", "여섯", "일곱", "여덟", "아홉")
# Each ending in its two forms: after a consonant, after a vowel (Korean picks by the
# sound before it). After ㄹ, 으로 is 로. "구요" after a vowel ("사구요") cannot be told from
# a 9 and 요, so the vowel form here is the standard 고요.
_ENDINGS = (
    ("이요", "요"), ("이에요", "예요"), ("이고요", "고요"), ("이구요", "고요"),
    ("이라고 했어요", "라고 했어요"), ("이랑 같아요", "랑 같아요"), ("이면 돼요", "면 돼요"),
    ("이죠", "죠"), ("입니다", "입니다"), ("으로 해 주세요", "로 해 주세요"),
    ("은 맞아요", "는 맞아요"), ("을 불러 드릴게요", "를 불러 드릴게요"),
    ("에 보내 주세요", "에 보내 주세요"),
    ("에서 왔어요", "에서 왔어요"), ("도 있어요", "도 있어요"), ("까지요", "까지요"),
)
_CONSONANT_FORMS = frozenset(c for c, _ in _ENDINGS)
# Words spelled with digit syllables ("사이사이", here and there): first or last in a run,
# they are read as words.
_WORDS = ("사이사이", "일일이", "이사이", "오일이")


def _final_consonant(syllable: str) -> int:
    return (ord(syllable) - 0xAC00) % 28


def _ending(rng: random.Random, said: str) -> str:
    consonant, vowel = rng.choice(_ENDINGS)
    final = _final_consonant(said[-1])
    if final == 8 and consonant.startswith("으로"):
        return vowel  # "칠로", "둘로"
    return consonant if final else vowel


def _ambiguous(said: str, ending: str) -> bool:
    """"...삼이요": 3 and 이요, or 3, 2 and 요? Both are grammatical.

    When the last spoken digits (이, 이구) and the ending together make a consonant-form
    ending after a consonant, the text reads either way; the rule takes the particle.
    """
    first = ending.split()[0] if ending.strip() else ""
    forms = {c.split()[0] for c in _CONSONANT_FORMS}
    return any(
        len(said) > k and _final_consonant(said[-k - 1]) != 0 and said[-k:] + first in forms
        for k in (1, 2)
    )


def _say(rng: random.Random, digits: str, style: str) -> list[str]:
    groups, pos = [], 0
    while pos < len(digits):
        size = min(rng.choice((2, 3, 4)), len(digits) - pos)
        groups.append(digits[pos : pos + size])
        pos += size
    if len(groups[-1]) < 2:  # one digit alone would be a word, not a group
        groups[-2:] = [groups[-2] + groups[-1]]

    def one(d: str) -> str:
        native = style == "native" or (style == "mixed" and rng.random() < 0.4)
        return (_NATIVE if native else _SINO)[int(d)]

    return ["".join(one(d) for d in g) for g in groups]


@SETTINGS
@given(digits=st.text("0123456789", min_size=7, max_size=12).filter(lambda d: d[0] not in "01"),
       seed=st.integers(0, 2**32 - 1),
       style=st.sampled_from(["sino", "sino", "native", "mixed"]))
def test_particles_after_spoken_digits_are_never_digits(digits: str, seed: int, style: str) -> None:
    rng = random.Random(seed)
    said = rng.choice((" ", "", " 다시 ")).join(_say(rng, digits, style))
    ending = _ending(rng, said)
    if _ambiguous(said, ending) or said.startswith(_WORDS) or said.endswith(_WORDS):
        return  # measured, not asserted: see agents.korean.digits.copula_i_at
    prefix = rng.choice(("번호는 ", "접수 번호 ", "제가 받은 번호가 ", ""))
    written = normalize(prefix + said + ending)
    if "-" in written:
        return  # read as a phone number: its layout (a four-digit last part) decides the 이
    assert written.startswith(prefix) and written.endswith(ending), (said + ending, written)
    read = written[len(prefix) : len(written) - len(ending)]
    assert re.sub(r" |다시", "", read) == digits, (said + ending, written)


@pytest.mark.parametrize(
    ("said", "written"),
    [
        ("일이삼사오육칠이요", "1234567이요"),  # the case: 이요 after 칠
        ("일이삼사오육칠이구요", "1234567이구요"),  # 이구요, said for 이고요
        ("팔팔공일이삼사이에요", "88012342에요"),  # 사 ends in a vowel: 이 is the 2
        ("오육칠팔이예요", "56782예요"),  # 예요 follows a vowel: the 2 again
        ("삼삼사사오오육이요", "3344556이요"),
        ("둘셋넷다섯여섯일곱셋이에요", "2345673이에요"),
        ("일이삼사오육칠로 보내 주세요", "1234567로 보내 주세요"),
    ],
)
def test_particle_rule_by_hand(said: str, written: str) -> None:
    assert normalize(said) == written
