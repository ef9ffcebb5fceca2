"""Speech levels for scripted customers: 해요체 sentence endings rewritten as 하십시오체 or 반말.

Only sentence-final words are touched, and only endings the phrase templates use; an ending
with no rule stays as it is (real callers mix levels, so a leftover 해요 ending is natural).
"""

from __future__ import annotations

import re

__all__ = ["to_casual", "to_formal"]

# A Hangul word closing a sentence: followed by . ? ! … or the end of the text.
_FINAL = re.compile(r"([가-힣]+)([.?!…]+|$)")
_BASE, _JONG = 0xAC00, 28
_RIEUL, _BIEUP = 8, 17


def _jong(syllable: str) -> int:
    return (ord(syllable) - _BASE) % _JONG


def _with_jong(syllable: str, jong: int) -> str:
    return chr(ord(syllable) - _jong(syllable) + jong)


def _hamnida(stem: str, question: bool) -> str:
    """Stem + 습니다/ㅂ니다 (or the question form), by the stem's last sound."""
    last = stem[-1]
    tail = "니까" if question else "니다"
    if _jong(last) == 0:
        return stem[:-1] + _with_jong(last, _BIEUP) + tail
    if _jong(last) == _RIEUL:  # 알다 -> 압니다
        return stem[:-1] + _with_jong(_with_jong(last, 0), _BIEUP) + tail
    return stem + "습" + tail


_FORMAL_WORDS = {"고마워요": "고맙습니다", "감사해요": "감사합니다"}


def _formal_word(word: str, question: bool) -> str:
    if word in _FORMAL_WORDS:
        return _FORMAL_WORDS[word]
    if word.endswith("주세요"):
        return word[:-3] + ("주시겠습니까" if question else "주십시오")
    if word.endswith("하세요"):
        return word[:-3] + ("하십니까" if question else "하십시오")
    if word.endswith("거예요"):
        return word[:-3] + ("겁니까" if question else "겁니다")
    if word.endswith(("이에요", "예요")):
        return word.removesuffix("이에요").removesuffix("예요") + (
            "입니까" if question else "입니다"
        )
    if word.endswith("려고요"):
        return word[:-1] + " 합니다"
    if word.endswith(("해요", "돼요")):
        return _hamnida(word[:-2] + ("하" if word.endswith("해요") else "되"), question)
    if question and word.endswith("나요") and len(word) > 2:
        return _hamnida(word[:-2], True)
    if word.endswith("게요") and len(word) > 2 and _jong(word[-3]) == _RIEUL:
        return word[:-3] + _with_jong(word[-3], 0) + "겠습니다"  # 볼게요 -> 보겠습니다
    if word.endswith("워요") and len(word) > 2:
        return _hamnida(word[:-3] + _with_jong(word[-3], _BIEUP), question)  # 어려워요
    if word.endswith(("어요", "아요")) and len(word) > 2 and _jong(word[-3]) != 0:
        return _hamnida(word[:-2], question)
    return word


_CASUAL_WORDS = {"감사합니다": "고마워", "고맙습니다": "고마워", "감사해요": "고마워"}


def _casual_word(word: str) -> str:
    if word in _CASUAL_WORDS:
        return _CASUAL_WORDS[word]
    if word.endswith("주세요"):
        return word[:-3] + "줘"
    if word.endswith("하세요"):
        return word[:-3] + "해"
    if word.endswith("거예요"):
        return word[:-3] + "거야"
    if word.endswith("이에요"):
        return word[:-3] + "이야"
    if word.endswith("예요"):
        return word[:-2] + "야"
    if word.endswith("입니다"):
        return word[:-3] + ("이야" if _jong(word[-4]) else "야") if len(word) > 3 else word
    if word.endswith("요") and len(word) > 1 and word[-2] in "어아워해돼게네든데고나지까":
        return word[:-1]
    return word


def to_formal(text: str) -> str:
    """해요체 endings as 하십시오체: "바꾸고 싶어요." -> "바꾸고 싶습니다."."""
    return _FINAL.sub(lambda m: _formal_word(m[1], "?" in m[2]) + m[2], text)


def to_casual(text: str) -> str:
    """해요체 endings as 반말: "확인해 주세요." -> "확인해 줘."."""
    return _FINAL.sub(lambda m: _casual_word(m[1]) + m[2], text)
