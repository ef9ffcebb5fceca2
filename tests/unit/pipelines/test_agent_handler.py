"""The agent stage handler on in-memory ports: ordering, held ends, inbox replay, poison."""

from __future__ import annotations

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agents.graph import build_graph
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
from tests.unit.agents.fakes import approval_graph_of, ports, world


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
    handler = AgentHandler(graph, fakes.context(), approval_graph=approval_graph_of(graph),
                           inbox=inbox, end_wait_s=30, monotonic=clock or Monotonic())
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


def test_an_utterance_before_its_start_waits_for_it_and_then_runs() -> None:
    clock = Monotonic()
    graph = build_graph(InMemorySaver())
    handler = AgentHandler(graph, (fakes := ports(world("duplicate_charge"))).context(),
                           approval_graph=approval_graph_of(graph), monotonic=clock,
                           start_wait_s=5.0)
    assert list(handler.handle(_in(_say(0, "컬러링이 두 번 청구됐어요"), 0))) == []
    assert handler.safe_offset(0) == 0  # held: never committed past
    clock.now += 4.0
    assert list(handler.tick(clock.now)) == []
    out = list(handler.handle(_in(CallStarted(call_id="c1", customer_id="C1"), 1)))
    insight = out[0].message
    assert isinstance(insight, CallInsight) and insight.dispute is not None
    assert insight.dispute.outcome.value == "credit_issued"  # the customer's bill was read
    assert fakes.ledger.total == 1_650 and handler.safe_offset(0) is None


def test_messages_of_a_call_never_started_are_refused_after_the_window() -> None:
    clock = Monotonic()
    graph = build_graph(InMemorySaver())
    handler = AgentHandler(graph, ports(world("duplicate_charge")).context(),
                           approval_graph=approval_graph_of(graph), monotonic=clock,
                           start_wait_s=5.0)
    assert list(handler.handle(_in(_say(0, "컬러링이 두 번 청구됐어요", call="c7"), 3))) == []
    assert list(handler.handle(_in(CallEnded(call_id="c7", utterances=1), 4))) == []
    assert handler.safe_offset(0) == 3
    clock.now += 5.0
    refused = list(handler.tick(clock.now))
    assert [(o.topic, o.message.kind, o.refused is not None) for o in refused] == [
        (Topic.TRANSCRIPTS, "utterance", True), (Topic.TRANSCRIPTS, "call_ended", True)]
    assert [(o.refused.partition, o.refused.offset) for o in refused if o.refused] == [(0, 3), (0, 4)]
    assert all("c7 was never started" in o.refused.reason for o in refused if o.refused)
    assert handler.safe_offset(0) is None and handler.stats.refused == 2
    # A start after the window opens the call afresh; the refused messages stay refused.
    handler.handle(_in(CallStarted(call_id="c7", customer_id="C1"), 5))
    assert [o.refused for o in handler.tick(clock.now + 60)] == []


def test_an_ended_call_refuses_new_utterances_and_answers_copies() -> None:
    handler, _, _ = _handler(inbox=FakeInbox())
    handler.handle(_in(CallStarted(call_id="c1", customer_id="C1"), 0))
    first = list(handler.handle(_in(_say(0, "요금제 바꾸고 싶어요"), 1)))
    ended = CallEnded(call_id="c1", utterances=1)
    summary = list(handler.handle(_in(ended, 2)))
    assert list(handler.handle(_in(_say(0, "요금제 바꾸고 싶어요"), 1))) == first  # redelivery
    # The same end again under a new id is a copy: the stored summary, not a second one.
    copy = ended.model_copy(update={"message_id": "another-id"})
    assert list(handler.handle(_in(copy, 3))) == summary
    late = list(handler.handle(_in(_say(1, "하나 더 있어요"), 4)))
    assert len(late) == 1 and late[0].refused is not None
    assert "already ended with 1 utterances" in late[0].refused.reason
    other = list(handler.handle(_in(CallEnded(call_id="c1", utterances=5), 5)))
    assert len(other) == 1 and other[0].refused is not None


def test_a_settled_approval_republishes_the_dispute_and_the_summary() -> None:
    from services.schemas import ApprovalDecided, CallSummary, DisputeOutcome

    fakes = ports(world("roaming_without_usage", roaming_krw=55_000))
    graph = build_graph(InMemorySaver())
    handler = AgentHandler(graph, fakes.context(), approval_graph=approval_graph_of(graph),
                           monotonic=Monotonic())
    handler.handle(_in(CallStarted(call_id="c1", customer_id="C1"), 0))
    (pending,) = handler.handle(_in(_say(0, "지난달 해외에 간 적이 없는데 로밍 요금이 나왔어요"), 1))
    (first_summary,) = handler.handle(_in(CallEnded(call_id="c1", utterances=1), 2))
    assert isinstance(pending.message, CallInsight) and pending.message.dispute is not None
    approval_id = pending.message.dispute.approval_id
    assert approval_id is not None
    fakes.approvals.decide(approval_id, approved=True)
    decided = ApprovalDecided(call_id="c1", approval_id=approval_id, approved=True,
                              decided_by="supervisor-7")
    out = list(handler.handle(_in(decided, 3)))
    assert [o.topic for o in out] == [Topic.INSIGHTS, Topic.SUMMARIES]
    insight, summary = out[0].message, out[1].message
    assert isinstance(insight, CallInsight) and isinstance(summary, CallSummary)
    assert insight.dispute is not None and insight.dispute.outcome is DisputeOutcome.CREDIT_ISSUED
    assert summary.dispute is not None and summary.dispute.outcome is DisputeOutcome.CREDIT_ISSUED
    assert summary.revision == 2 and summary.message_id != first_summary.message.message_id
    assert list(handler.handle(_in(decided, 3))) == out  # redelivered: the same messages
    assert fakes.ledger.total == 55_000 and len(fakes.ledger.credits) == 1


def test_messages_of_other_topics_are_poison() -> None:
    handler, _, _ = _handler()
    insight = CallInsight(call_id="c1", utterance_seq=0, intent=Intent.OTHER,
                          intent_confidence=0.5, intent_tier=IntentTier.FAST, churn_score=0.1,
                          churn_flag=False)
    with pytest.raises(PoisonMessage):
        handler.handle(_in(insight, 0))


def test_model_work_follows_the_rules_results_on_its_own_topic() -> None:
    from pipelines.agent import ModelWork
    from services.schemas import CallSummary, ModelRequest, ModelTask, RevisionSource
    from tests.unit.agents.fakes import FakeIntents

    fakes = ports(world("duplicate_charge"))
    work = ModelWork(intents=FakeIntents(), intent_threshold=0.55,  # type: ignore[arg-type]
                     deadline_s={"summary": 180, "explanation": 30, "intent": 15})
    graph = build_graph(InMemorySaver())
    handler = AgentHandler(graph, fakes.context(), approval_graph=approval_graph_of(graph),
                           model_work=work, monotonic=Monotonic())
    handler.handle(_in(CallStarted(call_id="c1", customer_id="C1"), 0))
    dispute = list(handler.handle(_in(_say(0, "컬러링이 두 번 청구됐어요"), 1)))
    unsure = list(handler.handle(_in(_say(1, "음 그게요"), 2)))
    done = list(handler.handle(_in(CallEnded(call_id="c1", utterances=2), 3)))
    # The rules' result always comes first; the request for the model follows it.
    for out, task in ((dispute, ModelTask.EXPLANATION), (unsure, ModelTask.INTENT),
                      (done, ModelTask.SUMMARY)):
        assert [o.topic for o in out][0] in (Topic.INSIGHTS, Topic.SUMMARIES)
        assert [o.topic for o in out][1:] == [Topic.MODEL_REQUESTS]
        request = out[1].message
        assert isinstance(request, ModelRequest) and request.task is task
        assert request.revision == 1 and request.deadline_at > request.occurred_at
    summary = done[0].message
    assert isinstance(summary, CallSummary) and summary.revision == 0
    assert summary.source is RevisionSource.RULES
    # A redelivered end re-sends the same request id (so a lost one is not lost).
    again = list(AgentHandler(graph, fakes.context(), approval_graph=approval_graph_of(graph),
                              model_work=work, inbox=_AlwaysSeen())
                 .handle(_in(CallEnded(call_id="c1", utterances=2), 3)))
    assert again[1].message.message_id == done[1].message.message_id


class _AlwaysSeen:
    def mark_processed(self, *, consumer: str, message_id: str) -> bool:
        return False
