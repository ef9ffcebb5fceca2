"""The phishing scorer: cues with spans inside chatter, accumulated; normal calls stay calm."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.korean import redact
from agents.limits import AgentLimits
from agents.policies.phishing import (
    SIGNALS,
    Cue,
    assess_utterance,
    find_cues,
    score_cues,
)
from simulator import SyntheticWorld, generate_calls, generate_world

# Each phrase carries one signal; the tests embed them in ordinary service talk.
CUES: list[tuple[str, str]] = [
    ("서울중앙지검 수사관입니다", "authority_impersonation"),
    ("금융감독원에서 연락드렸습니다", "authority_impersonation"),
    ("신한은행 대출 상담팀입니다", "bank_impersonation"),
    ("고객님 통장이 범죄에 연루되어", "crime_story"),
    ("대포통장이 발견되었습니다", "crime_story"),
    ("안전계좌로 옮기셔야 합니다", "safe_account"),
    ("예금을 전부 인출하셔서", "safe_account"),
    ("보안 앱을 설치해 주세요", "remote_app"),
    ("원격 제어로 도와드릴게요", "remote_app"),
    ("OTP 번호 불러 주세요", "credential_request"),
    ("보안카드 뒷면 숫자요", "credential_request"),
    ("저금리 대환대출 대상이세요", "loan_offer"),
    ("보증금을 먼저 입금하셔야 돼요", "upfront_fee"),
    ("선입금 하시면 바로 나갑니다", "upfront_fee"),
    ("지금 바로 하셔야 해요", "urgency"),
    ("아무한테도 말씀하시면 안 됩니다", "secrecy"),
]
CHATTER = ["네, 고객님.", "이번 달 요금이 좀 많이 나왔네요.", "음,", "요금제 변경 문의드려요.",
           "잠시만 기다려 주시겠습니까?", "아 네, 알겠습니다.", "데이터가 금방 떨어져요.",
           "감사합니다, 고객님.", "저기요,", "명세서 확인 부탁드려요."]


@given(cue=st.sampled_from(CUES), before=st.lists(st.sampled_from(CHATTER), max_size=4),
       after=st.lists(st.sampled_from(CHATTER), max_size=4))
def test_a_cue_inside_chatter_is_found_with_its_span(
    cue: tuple[str, str], before: list[str], after: list[str]
) -> None:
    phrase, signal = cue
    prefix = " ".join(before) + (" " if before else "")
    text = prefix + phrase + (" " if after else "") + " ".join(after)
    found = [c for c in find_cues(text, seq=3) if c.signal == signal]
    assert len(found) == 1
    hit = found[0]
    assert text[hit.start:hit.end] == hit.text and hit.seq == 3
    assert len(prefix) <= hit.start < hit.end <= len(prefix) + len(phrase)


def test_a_phrase_cut_across_two_utterances_is_found_in_the_second() -> None:
    first = assess_utterance("고객님 지금 그 돈을 안전", seq=0, evidence=())
    assert "safe_account" not in {c.signal for c in first.evidence}
    second = assess_utterance("계좌로 옮기셔야 합니다", seq=1, evidence=first.evidence,
                              carry="고객님 지금 그 돈을 안전")
    cue = next(c for c in second.new if c.signal == "safe_account")
    assert cue.seq == 1 and cue.start == 0 and cue.text.startswith("안전")


def test_evidence_accumulates_over_the_call_and_the_score_rises() -> None:
    first = assess_utterance("서울중앙지검 수사관입니다", seq=0, evidence=())
    second = assess_utterance("네? 무슨 일이시죠?", seq=1, evidence=first.evidence)
    third = assess_utterance("지금 바로 안전계좌로 옮기세요", seq=2, evidence=second.evidence)
    assert first.score == second.score < third.score
    assert {c.signal for c in third.evidence} == {
        "authority_impersonation", "urgency", "safe_account"}
    assert [c.seq for c in third.evidence] == [0, 2, 2]
    again = assess_utterance("검찰에서 확인합니다", seq=3, evidence=third.evidence)
    assert again.new == () and again.score == third.score  # a signal counts once per call


def test_redaction_placeholders_are_not_credential_requests() -> None:
    text = redact("카드는 4111 1111 1111 1111 이에요").text
    assert "[카드번호]" in text
    assert not find_cues(text, seq=0)


def test_the_score_is_monotone_in_distinct_signals() -> None:
    cues = [Cue(name, 0, 0, 1, "x") for name in SIGNALS]
    scores = [score_cues(cues[:k]) for k in range(len(cues) + 1)]
    assert all(0 < s <= 1 for s in scores)
    assert scores == sorted(scores)  # every signal is evidence for a scam, none against


@pytest.fixture(scope="module")
def normal_world() -> SyntheticWorld:
    return generate_world(seed=5, customers=30, today=date(2025, 11, 20))


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_normal_customer_service_calls_do_not_alert(
    normal_world: SyntheticWorld, seed: int
) -> None:
    threshold = AgentLimits().phishing_alert_threshold
    for call in generate_calls(normal_world, seed=seed, n=15):
        evidence: tuple[Cue, ...] = ()
        carry = ""
        for seq, turn in enumerate(call.turns):
            text = redact(turn.text).text
            assessment = assess_utterance(text, seq=seq, evidence=evidence, carry=carry)
            evidence, carry = assessment.evidence, text
            assert assessment.score < threshold, (call.scenario, turn.text, evidence)
