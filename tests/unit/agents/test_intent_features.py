"""Intent features: canonical spoken form, spacing-free character n-grams, Kiwi morphemes."""

from __future__ import annotations

import numpy as np
import pytest

from agents.intents.features import (
    IntentFeaturizer,
    canonical_text,
    char_text,
    kiwi,
    morpheme_tokens,
)
from agents.intents.spelling import spell_number, spell_out


@pytest.mark.parametrize(
    ("value", "counter", "spoken"),
    [
        (30000, "", "삼만"),
        (15000, "", "만 오천"),
        (10000, "", "만"),
        (1500, "", "천오백"),
        (69900, "", "육만 구천구백"),
        (120000, "", "십이만"),
        (2, "달", "두"),
        (3, "번", "세"),
        (24, "", "이십사"),
        (0, "", "영"),
    ],
)
def test_numbers_are_read_the_way_callers_say_them(value: int, counter: str, spoken: str) -> None:
    assert spell_number(value, counter=counter) == spoken


def test_spell_out_covers_digits_letters_and_identifiers() -> None:
    assert spell_out("5G 요금제") == "오 지 요금제"
    assert spell_out("LTE로 바꿔 주세요") == "엘티이 로 바꿔 주세요"
    assert spell_out("30,000원") == "삼만 원"
    assert spell_out("010") == "공일공"
    assert spell_out("USIM 교체") == "유심 교체"


def test_canonical_text_makes_typed_and_spoken_forms_meet() -> None:
    typed = canonical_text("5G 요금제에서 LTE로 바꿀 수 있나요?")
    spoken = canonical_text("오 지 요금제에서 엘티이로 바꿀 수 있나요")
    assert char_text(typed) == char_text(spoken)


def test_char_text_ignores_spacing_errors() -> None:
    assert char_text("요금제 변경 하고 싶어요") == char_text("요금제변경하고 싶 어요")


def test_morpheme_tokens_have_lemma_tag_content_and_bigrams() -> None:
    tokens = morpheme_tokens("어 소액결제 차단해 주세요.")
    assert "소액/NNG" in tokens
    assert "c:결제" in tokens
    assert "b:소액_결제" in tokens
    assert "어/IC" in tokens, "interjections stay as unigrams"
    assert "b:어_소액" not in tokens, "a filler does not pair with the next word"
    assert not any(token.endswith("/SF") for token in tokens), "punctuation is dropped"


def test_kiwi_is_built_once_per_process() -> None:
    assert kiwi() is kiwi()


def test_empty_text_has_no_morphemes() -> None:
    assert morpheme_tokens("   ") == []


def test_single_text_path_equals_the_batch_transform() -> None:
    texts = ["데이터 얼마나 남았어요", "요금제 바꾸고 싶어요", "로밍 신청할게요", "해지해 주세요"]
    featurizer = IntentFeaturizer().fit(texts * 2)
    for text in [*texts, "데이터 요금제 로밍 해지", "전혀 새로운 문장"]:
        dense = featurizer.transform([text]).toarray()[0]
        index, values = featurizer.vectorize_one(text)
        single = np.zeros_like(dense)
        single[index] = values
        np.testing.assert_allclose(single, dense, atol=1e-12)
    assert featurizer.dimensions == featurizer.transform(texts).shape[1]
