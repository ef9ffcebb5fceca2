"""The handoff policy: requests for a person (with fillers, politeness, negation), the
repeated-failure count and churn with an unresolved dispute."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from agents.policies.handoff import (
    HANDOFF_MESSAGE,
    REASON_LABELS,
    TurnFacts,
    asks_for_person,
    is_unhelped,
    should_hand_off,
)
from services.schemas import HandoffReason

_DATA = Path(__file__).resolve().parents[3] / "agents"

FILLERS = ["", "저기요, ", "음... ", "아 네, ", "죄송한데 ", "그냥 ", "요금 때문에 그러는데요, ",
           "네 알겠고요, "]
STAFF = ["상담원", "상담사", "상담원분", "상담사님", "직원", "담당자", "상담 직원", "다른 상담사"]
ADVERBS = ["", " 좀", " 바로", " 좀 빨리", " 지금", " 제발 좀"]
CONNECT = ["연결해 주세요", "연결해 주시겠어요?", "연결 부탁드려요", "연결해 줘요", "바꿔 주세요",
           "바꿔 주실 수 있나요?", "연결해 주십시오", "연결 좀 해 주세요", "연결해 주실래요?",
           "연결 가능할까요?", "바꿔줘"]
TALK = ["통화하고 싶어요", "얘기하고 싶습니다", "직접 통화할 수 있을까요?",
        "이야기하고 싶은데요", "통화 좀 하게 해 주세요", "대화하고 싶어요"]
WITH = ["이랑", "하고", "한테"]
ENDINGS = ["", ".", "!", "?", " ㅠㅠ"]
DECLINED = ["은 안 해도 돼요", " 안 하셔도 돼요", "은 필요 없어요", "은 괜찮아요",
            "은 나중에 할게요", "하지 마세요", "은 안 해 주셔도 됩니다", "은 됐어요"]


@st.composite
def requests(draw: st.DrawFn) -> str:
    filler, adverb, ending = draw(st.sampled_from(FILLERS)), draw(st.sampled_from(ADVERBS)), \
        draw(st.sampled_from(ENDINGS))
    if draw(st.booleans()):
        person = draw(st.sampled_from(STAFF))
        body = f"{person}{adverb} {draw(st.sampled_from(CONNECT))}"
    else:
        person = draw(st.sampled_from([*STAFF, "사람", "진짜 사람", "실제 사람"]))
        body = f"{person}{draw(st.sampled_from(WITH))}{adverb} {draw(st.sampled_from(TALK))}"
    return f"{filler}{body}{ending}"


@st.composite
def declined(draw: st.DrawFn) -> str:
    filler, person = draw(st.sampled_from(FILLERS)), draw(st.sampled_from(STAFF))
    after = draw(st.sampled_from(["", " 요금만 확인해 주세요.", " 제가 다시 볼게요."]))
    if draw(st.booleans()):
        return f"{filler}{person} 연결{draw(st.sampled_from(DECLINED))}.{after}"
    return f"{filler}{person} 말고 여기서 {draw(st.sampled_from(['확인할게요', '해결해 주세요']))}."


@given(requests())
def test_a_request_for_a_person_is_detected_whatever_the_fillers(text: str) -> None:
    found = asks_for_person(text)
    assert found is not None and found in text


@given(st.sampled_from(["요금이 너무 많이 나왔어요. ", "해지 문의 드렸는데요. ", ""]), requests())
def test_a_request_after_other_sentences_is_found_and_quoted(before: str, text: str) -> None:
    found = asks_for_person(before + text)
    assert found is not None and found in text


@given(declined())
def test_a_declined_request_is_not_a_request(text: str) -> None:
    assert asks_for_person(text) is None


def _ordinary_utterances() -> list[str]:
    """Every customer text of the intent data and the simulator's evaluation calls."""
    texts: list[str] = []
    for name in ("seed_utterances.jsonl", "handwritten_eval.jsonl"):
        for line in (_DATA / "intents" / "data" / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            texts.append(row["text"])
    lines = (_DATA / "evaluation" / "data" / "sim_eval_calls.jsonl").read_text(
        encoding="utf-8").splitlines()
    for line in lines[1:]:
        texts += [t["text"] for t in json.loads(line)["turns"]
                  if t["speaker"] == "customer"]
    return texts


# The labelled corpora hold these requests for a person and nothing else asking for one.
KNOWN_REQUESTS = {"상담원 연결해 주세요.", "다른 상담사 바꿔 주세요.",
                  "상담사 좀 바로 연결해 주세요."}


def test_ordinary_utterances_never_ask_for_a_person() -> None:
    corpus = _ordinary_utterances()
    assert len(corpus) > 1000
    found = {text for text in corpus if asks_for_person(text) is not None}
    assert found == KNOWN_REQUESTS


def test_everyday_uses_of_the_words_are_not_requests() -> None:
    for text in ("사람이 통화를 많이 해서 요금이 많이 나와요.", "다른 사람 명의로 바꿔 주세요.",
                 "명의를 다른 사람으로 바꿔 주세요.", "상담사님 이름이 어떻게 되세요?",
                 "직원이 연결해 준다고 했는데요.", "상담원이랑 통화했는데 해결이 안 됐어요.",
                 "다른 사람 통화 내역 볼 수 있나요?", "요금제 바꿔 주세요."):
        assert asks_for_person(text) is None, text


def _facts(**overrides: object) -> TurnFacts:
    values: dict[str, object] = {
        "seq": 3, "text": "로밍 요금 알려 주세요", "dispute_outcome": None,
        "answer": "로밍 안내", "fallback": False, "previous_answer": None,
        "churn_flagged": False, "unresolved_dispute": False,
    }
    values.update(overrides)
    return TurnFacts(**values)  # type: ignore[arg-type]


def test_unhelped_means_fallback_or_the_same_answer_again_without_a_decision() -> None:
    assert is_unhelped(_facts(fallback=True))
    assert is_unhelped(_facts(previous_answer="로밍 안내"))
    assert not is_unhelped(_facts(previous_answer="다른 안내"))
    assert not is_unhelped(_facts(fallback=True, dispute_outcome="explained"))


@given(st.integers(min_value=0, max_value=10), st.integers(min_value=1, max_value=10))
def test_repeated_failure_needs_the_configured_number_of_turns(streak: int, needed: int) -> None:
    decision = should_hand_off(_facts(fallback=True), unhelped_streak=streak,
                               failure_turns=needed, already=False)
    assert (decision is not None) == (streak >= needed)
    if decision is not None:
        assert decision.reason == "repeated_failure"


def test_zero_failure_turns_turns_the_trigger_off() -> None:
    assert should_hand_off(_facts(fallback=True), unhelped_streak=50, failure_turns=0,
                           already=False) is None


def test_churn_alone_or_a_dispute_alone_is_not_enough() -> None:
    both = should_hand_off(_facts(churn_flagged=True, unresolved_dispute=True),
                           unhelped_streak=0, failure_turns=3, already=False)
    assert both is not None and both.reason == "churn_dispute"
    for flagged, unresolved in ((True, False), (False, True)):
        assert should_hand_off(_facts(churn_flagged=flagged, unresolved_dispute=unresolved),
                               unhelped_streak=0, failure_turns=3, already=False) is None


def test_a_request_wins_and_nothing_comes_twice() -> None:
    facts = _facts(text="상담원 연결해 주세요", churn_flagged=True, unresolved_dispute=True)
    decision = should_hand_off(facts, unhelped_streak=9, failure_turns=3, already=False)
    assert decision is not None and decision.reason == "customer_request"
    assert decision.evidence == "상담원 연결해 주세요"
    assert should_hand_off(facts, unhelped_streak=9, failure_turns=3, already=True) is None


def test_reason_codes_match_the_wire_enum_and_have_korean_labels() -> None:
    assert set(REASON_LABELS) == {r.value for r in HandoffReason}
    assert HANDOFF_MESSAGE.endswith("주세요.")
