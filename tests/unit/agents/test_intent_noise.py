"""ASR-style noise: each transform does what ASR does, and a seed repeats the result."""

from __future__ import annotations

import random

from agents.intents.noise import (
    AsrNoise,
    add_fillers,
    confuse_vowels,
    drop_punctuation,
    repeat_words,
    spacing_errors,
    spell_english,
    with_asr_noise,
)
from agents.intents.spelling import spell_numbers

SENTENCE = "5G 요금제가 너무 비싸서 LTE로 바꾸고 싶어요. 한 달에 30000원 정도요!"


def test_drop_punctuation() -> None:
    assert drop_punctuation("네, 알겠습니다. 감사합니다!") == "네 알겠습니다 감사합니다"


def test_english_is_spelled_in_hangul() -> None:
    assert spell_english("LTE 요금제") == "엘티이 요금제"
    assert spell_english("KT로 옮길게요") == "케이티로 옮길게요"
    assert spell_english("LG 유플러스") == "엘지 유플러스"
    assert spell_numbers(spell_english("5G")) == "오 지"


def test_numbers_are_spelled_with_a_space_before_the_unit() -> None:
    assert spell_numbers("30000원") == "삼만 원"
    assert spell_numbers("2달 전에") == "두 달 전에"


def test_spell_english_variants_come_from_the_rng() -> None:
    seen = {spell_english("5G 요금제", random.Random(seed)) for seed in range(30)}
    assert seen <= {"오 지 요금제", "파이브 지 요금제", "오지 요금제"}
    assert len(seen) > 1


def test_spacing_errors_only_move_spaces() -> None:
    rng = random.Random(3)
    text = "이번 달 요금이 왜 이렇게 많이 나왔는지 궁금해요"
    for _ in range(20):
        noisy = spacing_errors(text, rng, merge=0.5, split=0.3)
        assert noisy.replace(" ", "") == text.replace(" ", "")


def test_fillers_are_inserted_as_words() -> None:
    noisy = add_fillers("요금제 변경하려고요", random.Random(0), rate=1.0)
    assert noisy.endswith("요금제 변경하려고요") or "요금제" in noisy
    assert len(noisy.split()) > 2


def test_repeat_words_keeps_the_original_words_in_order() -> None:
    text = "데이터 얼마나 남았어요"
    noisy = repeat_words(text, random.Random(1), rate=1.0)
    assert [w for w in noisy.split() if w in text.split()][-3:] == text.split()
    assert len(noisy.split()) == 6


def test_confuse_vowels_swaps_only_ae_e_pairs() -> None:
    noisy = confuse_vowels("개 게 되 돼 가", random.Random(0), rate=1.0)
    assert noisy == "게 개 돼 되 가"


def test_with_asr_noise_is_seeded_and_looks_like_asr() -> None:
    first = with_asr_noise(SENTENCE, random.Random(42))
    again = with_asr_noise(SENTENCE, random.Random(42))
    assert first == again
    assert not any(ch.isascii() and ch.isalnum() for ch in first), first
    outputs = {with_asr_noise(SENTENCE, random.Random(seed)) for seed in range(10)}
    assert len(outputs) > 5


def test_with_asr_noise_never_returns_empty_text() -> None:
    assert with_asr_noise("...", random.Random(0), AsrNoise(keep_punctuation=0.0)) == "..."
