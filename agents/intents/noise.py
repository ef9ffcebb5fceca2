"""Seeded ASR-style corruptions of Korean text, for augmentation and robustness evaluation.

Whisper-style Korean transcripts differ from typed text in predictable ways: no
punctuation, numbers and English spelled in Hangul ("5G" -> "오 지", "KT" -> "케이티"),
spacing in the wrong places, fillers, repeated words, and near-homophone vowels
(ㅐ/ㅔ, 되/돼). Every transform takes an explicit `random.Random` so results repeat.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from agents.intents.spelling import spell_latin, spell_numbers

__all__ = [
    "FILLERS",
    "AsrNoise",
    "add_fillers",
    "confuse_vowels",
    "drop_punctuation",
    "repeat_words",
    "spacing_errors",
    "spell_english",
    "with_asr_noise",
]

FILLERS = ("어", "음", "그", "저기요", "아 네", "어 그러니까", "아", "그 뭐지", "네", "저")
_PUNCT = re.compile(r"[.,!?~…·\"'()\[\]:;]+")
_LATIN = re.compile(r"[A-Za-z][A-Za-z\-]*")
_HANGUL_BASE = 0xAC00
_JUNG_COUNT = 21
_JONG_COUNT = 28
# Vowel pairs Korean ASR confuses (ㅐ/ㅔ, ㅙ/ㅚ/ㅞ): indexes into the medial-vowel table.
_VOWEL_SWAPS = {1: 5, 5: 1, 10: 11, 11: 10, 15: 11}
# Alternative spoken forms some callers (and ASR) use.
_VARIANTS = {
    "5G": ("오 지", "파이브 지", "오지"),
    "LTE": ("엘티이", "엘티 이"),
    "SKT": ("에스케이티", "에스케이"),
}


def drop_punctuation(text: str) -> str:
    """Remove punctuation, as Whisper often does on short telephone utterances."""
    return re.sub(r"\s+", " ", _PUNCT.sub(" ", text)).strip()


def spell_english(text: str, rng: random.Random | None = None) -> str:
    """Spell Latin words in Hangul ("LG 유플러스" -> "엘지 유플러스"); `rng` picks variants."""
    for written, spoken in _VARIANTS.items():
        if written in text and rng is not None:
            text = text.replace(written, rng.choice(spoken))
    return _LATIN.sub(lambda match: spell_latin(match.group()), text)


def spacing_errors(text: str, rng: random.Random, *, merge: float = 0.2, split: float = 0.1) -> str:
    """Merge neighbouring words and split words inside, each with the given probability."""
    words = text.split()
    if not words:
        return text
    pieces: list[str] = []
    for word in words:
        if len(word) >= 3 and rng.random() < split:
            cut = rng.randrange(1, len(word))
            word = f"{word[:cut]} {word[cut:]}"
        pieces.append(word)
    out = pieces[0]
    for piece in pieces[1:]:
        out += piece if rng.random() < merge else f" {piece}"
    return out


def add_fillers(text: str, rng: random.Random, *, rate: float = 0.5) -> str:
    """Insert hesitation fillers at the start and, less often, between words."""
    words = text.split()
    if rng.random() < rate:
        words.insert(0, rng.choice(FILLERS))
    if len(words) > 3 and rng.random() < rate / 2:
        words.insert(rng.randrange(1, len(words)), rng.choice(FILLERS[:4]))
    return " ".join(words)


def repeat_words(text: str, rng: random.Random, *, rate: float = 0.15) -> str:
    """Repeat a word or its first syllable, as disfluent speech does ("요금 요금이")."""
    out: list[str] = []
    for word in text.split():
        if rng.random() < rate:
            out.append(word[: max(1, len(word) // 2)] if rng.random() < 0.5 else word)
        out.append(word)
    return " ".join(out)


def confuse_vowels(text: str, rng: random.Random, *, rate: float = 0.05) -> str:
    """Swap near-homophone vowels (ㅐ/ㅔ, ㅙ/ㅚ/ㅞ) in a few syllables."""
    chars = list(text)
    for index, char in enumerate(chars):
        code = ord(char) - _HANGUL_BASE
        if not 0 <= code < 11172 or rng.random() >= rate:
            continue
        lead, rest = divmod(code, _JUNG_COUNT * _JONG_COUNT)
        vowel, tail = divmod(rest, _JONG_COUNT)
        if vowel in _VOWEL_SWAPS:
            new_vowel = _VOWEL_SWAPS[vowel]
            chars[index] = chr(_HANGUL_BASE + (lead * _JUNG_COUNT + new_vowel) * _JONG_COUNT + tail)
    return "".join(chars)


@dataclass(frozen=True)
class AsrNoise:
    """How hard `with_asr_noise` corrupts text; the defaults resemble Whisper base on calls."""

    merge: float = 0.2
    split: float = 0.08
    filler_rate: float = 0.5
    repeat_rate: float = 0.1
    vowel_rate: float = 0.04
    keep_punctuation: float = 0.1


def with_asr_noise(text: str, rng: random.Random, noise: AsrNoise | None = None) -> str:
    """Apply every transform in the order ASR produces them; never returns an empty string."""
    noise = noise or AsrNoise()
    out = text if rng.random() < noise.keep_punctuation else drop_punctuation(text)
    out = spell_numbers(spell_english(out, rng))
    out = repeat_words(out, rng, rate=noise.repeat_rate)
    out = add_fillers(out, rng, rate=noise.filler_rate)
    out = confuse_vowels(out, rng, rate=noise.vowel_rate)
    out = spacing_errors(out, rng, merge=noise.merge, split=noise.split)
    return out.strip() or text
