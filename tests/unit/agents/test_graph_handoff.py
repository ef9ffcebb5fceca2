"""The graph's hand_off node: each trigger yields exactly one handoff per call, and the
chat reply becomes the polite notice from code."""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.memory import InMemorySaver

from agents.graph import build_graph, call_state
from agents.policies.handoff import HANDOFF_MESSAGE
from services.schemas import DisputeOutcome, HandoffReason
from tests.unit.agents.fakes import CallDriver, ports, world


def _call(anomaly: str | None = None, *, source: str = "chat", **settings: Any) -> CallDriver:
    return CallDriver(build_graph(InMemorySaver()), ports(world(anomaly)).context(**settings),
                      source=source)


def _handoffs(turns: list[Any]) -> list[Any]:
    return [t.handoff for t in turns if t.handoff is not None]


def test_asking_for_a_person_hands_off_once_and_the_chat_says_so() -> None:
    call = _call()
    turns = [call.say("로밍 요금이 궁금해요"), call.say("음... 그냥 상담원 좀 연결해 주세요."),
             call.say("상담원 연결해 주세요"), call.say("로밍 요금이 궁금해요")]
    (handoff,) = _handoffs(turns)
    assert handoff.reason is HandoffReason.CUSTOMER_REQUEST and handoff.utterance_seq == 1
    assert handoff.source == "chat" and handoff.customer_id == "C1"
    assert "상담원 좀 연결해 주세요" in handoff.evidence
    assert turns[1].reply == HANDOFF_MESSAGE == handoff.message
    assert turns[2].reply != HANDOFF_MESSAGE  # already queued: no second notice
    assert "handoff:customer_request" in turns[1].insight.actions
    assert any(line.startswith("상담원 연결(고객 요청)") for line in turns[1].insight.assist)
    stored = call_state(call.graph, "call-1")["handoff"]
    assert stored is not None and stored["message_id"] == handoff.message_id


def test_a_declined_request_hands_off_nothing() -> None:
    call = _call()
    turns = [call.say("상담원 연결은 안 해도 돼요. 로밍 요금만 알려 주세요.")]
    assert _handoffs(turns) == [] and turns[0].reply != HANDOFF_MESSAGE


def test_a_redelivered_turn_returns_the_same_handoff() -> None:
    call = _call(source="voice")
    first = call.say("상담사 바꿔 주세요").handoff
    again = call.redeliver(0).handoff
    assert first is not None and again is not None
    assert again.message_id == first.message_id and again.source == "voice"


def test_repeated_failure_hands_off_after_the_configured_turns() -> None:
    call = _call(handoff_failure_turns=3)
    # Nothing in the FAQ answers these: each gets the fallback answer.
    texts = ["음 그게요", "그러니까 그게 말이죠", "아니 그게 아니고요", "음 그게요"]
    turns = [call.say(text) for text in texts]
    (handoff,) = _handoffs(turns)
    assert handoff.reason is HandoffReason.REPEATED_FAILURE and handoff.utterance_seq == 2
    assert turns[2].reply == HANDOFF_MESSAGE
    assert handoff.evidence == "unhelped_turns:3"


def test_a_helped_turn_resets_the_count() -> None:
    call = _call(handoff_failure_turns=3)
    texts = ["음 그게요", "그러니까 그게 말이죠", "로밍 요금이 궁금해요", "음 그게요",
             "아니 그게 아니고요"]
    turns = [call.say(text) for text in texts]
    assert _handoffs(turns) == []
    assert call_state(call.graph, "call-1")["handoff_streak"] == 2


def test_churn_with_an_unresolved_dispute_hands_off_and_keeps_the_explanation() -> None:
    call = _call("proration_error")  # 70,000 won: above every automatic limit
    pending = call.say("요금제 변경 일할 계산이 잘못 청구됐어요")
    assert pending.insight.dispute.outcome is DisputeOutcome.PENDING_APPROVAL
    assert pending.handoff is None  # a dispute waiting alone is not a reason
    turns = [pending, call.say("KT는 더 싸던데요"), call.say("그냥 해지하고 케이티로 갈아타려고요")]
    (handoff,) = _handoffs(turns)
    assert handoff.reason is HandoffReason.CHURN_DISPUTE
    flagged = next(t for t in turns if t.handoff is not None)
    assert flagged.insight.churn_flag and flagged.reply.endswith(HANDOFF_MESSAGE)
    assert "handoff:churn_dispute" in flagged.insight.actions
