"""Churn evidence is cut on word boundaries: a supervisor never reads half a word."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.policies.churn import detect_signals

_SYLLABLES = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
_WORDS = st.lists(st.text(_SYLLABLES, min_size=1, max_size=7), min_size=0, max_size=12)
_CUES = ["해지", "다른 통신사", "번호이동", "짜증", "비싸"]


@settings(max_examples=200, deadline=None)
@given(before=_WORDS, after=_WORDS, cue=st.sampled_from(_CUES), glued=st.booleans())
def test_evidence_is_made_of_whole_words_of_the_utterance(
    before: list[str], after: list[str], cue: str, glued: bool
) -> None:
    # A cue glued to a particle or ending ("해지하려고") is the common case in speech.
    cue_word = cue + "하려고" if glued else cue
    text = " ".join([*before, cue_word, *after])
    hits = detect_signals(text, intent=None, seq=0)
    words = text.split()
    quoted = [hit for hit in hits if hit.evidence]  # "complaint" is a count, not a quote
    assert quoted, (text, hits)
    for hit in quoted:
        evidence_words = hit.evidence.split()
        # Contiguous whole words of the text, in order.
        assert any(
            words[i : i + len(evidence_words)] == evidence_words
            for i in range(len(words) - len(evidence_words) + 1)
        ), (text, hit.evidence)


def test_the_reported_case_keeps_the_first_word_whole() -> None:
    text = "아니 이런 식이면 에스케이로 번호이동 할까 생각 중이에요"
    evidence = [h.evidence for h in detect_signals(text, intent=None, seq=3)]
    assert evidence, "번호이동 is a churn cue"
    assert all(not e.startswith("런 ") for e in evidence)
    assert any("번호이동" in e for e in evidence)
