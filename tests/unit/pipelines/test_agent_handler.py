"""The agent stage handler on in-memory ports: ordering, held ends, inbox replay, poison."""

from __future__ import annotations

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agents.graph import build_graph, call_state
from pipelines.agent import AgentHandler
from pipelines.stage import Incoming, PoisonMessage
from services.schemas import (
    CallEnded,
    CallInsight,
    CallStarted,
    Intent,
    IntentTier,
    Message,
    Speaker,
    Topic,
    Utterance,
)
from tests.unit.agents.fakes import ports, world


class FakeInbox:
    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    def mark_processed(self, *, consumer: str, message_id: str) -> bool:
        key = (consumer, message_id)
        first = key not in self.seen
        self.seen.add(key)
        return first


class Monotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _handler(inbox: FakeInbox | None = None, clock: Monotonic | None = None):  # type: ignore[no-untyped-def]
    fakes = ports(world("duplicate_charge"))
    graph = build_graph(InMemorySaver())
    handler = AgentHandler(graph, fakes.context(), inbox=inbox, end_wait_s=30,
                           monotonic=clock or Monotonic())
    return handler, graph, fakes


def _in(message: Message, offset: int, partition: int = 0) -> Incoming:
    return Incoming(message=message, partition=partition, offset=offset)


def _say(seq: int, text: str, speaker: Speaker = Speaker.CUSTOMER, call: str = "c1") -> Utterance:
    return Utterance(call_id=call, seq=seq, speaker=speaker, text=text, start_ms=0, end_ms=1,
                     confidence=0.9)


def test_one_insight_per_customer_utterance_and_summary_after_all_seqs() -> None:
    handler, _, _ = _handler()
    handler.handle(_in(CallStarted(call_id="c1", customer_id="C1"), 0))
    out = list(handler.handle(_in(_say(0, "컬러링이 두 번 청구됐어요"), 1)))
    assert [o.topic for o in out] == [Topic.INSIGHTS]
    assert list(handler.handle(_in(_say(1, "확인해 드리겠습니다", Speaker.AGENT), 2))) == []
    done = list(handler.handle(_in(CallEnded(call_id="c1", utterances=2), 3)))
    assert [o.topic for o in done] == [Topic.SUMMARIES]
    assert handler.safe_offset(0) is None


def test_end_waits_for_missing_seqs_and_holds_its_offset() -> None:
    clock = Monotonic()
    handler, _, fakes = _handler(clock=clock)
    handler.handle(_in(CallStarted(call_id="c1", customer_id="C1"), 0))
    handler.handle(_in(_say(0, "요금제 바꾸고 싶어요"), 1))
    assert list(handler.handle(_in(CallEnded(call_id="c1", utterances=3), 2))) == []
    assert handler.safe_offset(0) == 2 and handler.safe_offset(1) is None
    out = list(handler.handle(_in(_say(2, "감사합니다"), 3)))  # seq 1 still missing
    assert [o.topic for o in out] == [Topic.INSIGHTS]
    assert list(handler.tick(clock.now + 29)) == []
    forced = list(handler.tick(clock.now + 31))
    assert [o.topic for o in forced] == [Topic.SUMMARIES]
    assert handler.stats.forced_ends == 1 and handler.safe_offset(0) is None
    assert any(e["action"] == "summary_with_missing_utterances" and e["detail"]["missing"] == [1]
               for e in fakes.audit.entries)


def test_revoke_forgets_held_ends_of_lost_partitions() -> None:
    handler, _, _ = _handler()
    handler.handle(_in(CallEnded(call_id="c9", utterances=2), 7, partition=3))
    assert handler.safe_offset(3) == 7
    handler.revoke([3])
    assert handler.safe_offset(3) is None


def test_redelivery_is_answered_from_the_checkpoint() -> None:
    handler, _, fakes = _handler(inbox=FakeInbox())
    handler.handle(_in(CallStarted(call_id="c1", customer_id="C1"), 0))
    utterance = _say(0, "컬러링이 두 번 청구됐어요")
    first = list(handler.handle(_in(utterance, 1)))
    again = list(handler.handle(_in(utterance, 1)))
    assert first == again and handler.stats.replayed == 1
    assert fakes.ledger.calls == 1
    ended = CallEnded(call_id="c1", utterances=1)
    summary = list(handler.handle(_in(ended, 2)))
    assert list(handler.handle(_in(ended, 2))) == summary  # stored summary, no second run


def test_utterance_before_start_opens_the_call_with_an_unknown_customer() -> None:
    handler, graph, fakes = _handler()
    out = list(handler.handle(_in(_say(0, "컬러링이 두 번 청구됐어요"), 0)))
    insight = out[0].message
    assert isinstance(insight, CallInsight) and insight.dispute is not None
    assert insight.dispute.outcome.value == "no_invoice"
    assert fakes.ledger.credits == {}
    handler.handle(_in(CallStarted(call_id="c1", customer_id="C1"), 1))  # late start adopts
    assert call_state(graph, "c1")["customer_id"] == "C1"
    handler.handle(_in(_say(1, "컬러링이 두 번 청구됐다니까요"), 2))
    assert fakes.ledger.total == 1_650


def test_messages_of_other_topics_are_poison() -> None:
    handler, _, _ = _handler()
    insight = CallInsight(call_id="c1", utterance_seq=0, intent=Intent.OTHER,
                          intent_confidence=0.5, intent_tier=IntentTier.FAST, churn_score=0.1,
                          churn_flag=False)
    with pytest.raises(PoisonMessage):
        handler.handle(_in(insight, 0))
