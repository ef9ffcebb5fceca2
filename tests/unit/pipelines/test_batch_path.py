"""The runner's batch path (handle_many) and the agent's micro-batches of a call's turns.

The same records handled as one batch and one by one give the same outputs per call;
a poison record in the middle of a batch makes the runner handle the batch one by one,
so it alone is dead-lettered.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from typing import Any

import pytest
from kafka.consumer.fetcher import ConsumerRecord
from langgraph.checkpoint.memory import InMemorySaver

import pipelines.runner as runner_module
from agents.graph import AgentGraph, build_graph, handle_turns
from pipelines.agent import AgentHandler, ModelWork
from pipelines.reorder import ReorderingHandler
from pipelines.runner import run_stage
from pipelines.stage import Incoming, Outgoing, PoisonMessage, StageHandler
from services.config import KafkaSettings, Settings
from services.schemas import (
    CallEnded,
    CallStarted,
    Message,
    Speaker,
    Topic,
    Utterance,
    encode,
)
from tests.unit.agents.fakes import FakeIntents, approval_graph_of, ports, world
from tests.unit.pipelines.test_runner_logic import _Events, _FakeConsumer, _record

TOPIC = Topic.TRANSCRIPTS.value
POISON_ID = "f" * 32


class _CountingGraph:
    """The compiled graph, counting invocations."""

    def __init__(self, graph: AgentGraph) -> None:
        self._graph = graph
        self.invokes = 0

    def invoke(self, *args: Any, **kwargs: Any) -> Any:
        self.invokes += 1
        return self._graph.invoke(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._graph, name)


class _Inbox:
    """An inbox that rejects one message as poison (bad content found on arrival)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def mark_processed(self, *, consumer: str, message_id: str) -> bool:
        if message_id == POISON_ID:
            raise PoisonMessage("bad utterance")
        first = message_id not in self.seen
        self.seen.add(message_id)
        return first


class _OneByOne:
    """Hides handle_many: the runner then handles each record on its own."""

    def __init__(self, inner: StageHandler) -> None:
        self.inner = inner
        self.name = inner.name
        self.sources = inner.sources

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        return self.inner.handle(incoming)

    def tick(self, now: float) -> Sequence[Outgoing]:
        return self.inner.tick(now)

    def safe_offset(self, partition: int) -> int | None:
        return self.inner.safe_offset(partition)

    def revoke(self, partitions: Collection[int]) -> None:
        self.inner.revoke(partitions)


class _Publisher:
    def __init__(self, events: _Events) -> None:
        self._events = events

    def send(self, topic: Topic, message: Message) -> None:
        self._events.log.append(("send", str(topic), message))

    def send_raw(self, topic: str, *, key: Any, value: Any, headers: Any = ()) -> None:
        self._events.log.append(("send", topic, value))

    def flush(self, timeout_s: float | None = None) -> None:
        self._events.log.append(("flush",))

    def close(self, timeout_s: float = 10.0) -> None:
        pass


def _say(call: str, seq: int, text: str, speaker: Speaker = Speaker.CUSTOMER,
         message_id: str | None = None) -> Utterance:
    utterance = Utterance(call_id=call, seq=seq, speaker=speaker, text=text, start_ms=0,
                          end_ms=1, confidence=0.9)
    return utterance if message_id is None else utterance.model_copy(
        update={"message_id": message_id})


def _script(*, poison: bool) -> list[Message]:
    """Two calls interleaved; c1 has a dispute in the middle; maybe a poison c2 turn."""
    c2_2 = _say("c2", 2, "네 알겠어요", message_id=POISON_ID if poison else None)
    return [
        CallStarted(call_id="c1", customer_id="C1"),
        CallStarted(call_id="c2", customer_id="C1"),
        _say("c1", 0, "요금제 바꾸고 싶어요"),
        _say("c2", 0, "데이터가 얼마나 남았나요"),
        _say("c1", 1, "네 확인해 드릴게요", Speaker.AGENT),
        _say("c1", 2, "컬러링이 두 번 청구됐어요"),
        _say("c2", 1, "확인해 드리겠습니다", Speaker.AGENT),
        c2_2,
        _say("c1", 3, "음 그게요"),
        _say("c1", 4, "해지하고 싶어요"),
        _say("c2", 3, "감사합니다"),
        CallEnded(call_id="c1", utterances=5),
        CallEnded(call_id="c2", utterances=4),
    ]


def _agent(graph: Any, *, reorder: bool) -> StageHandler:
    fakes = ports(world("duplicate_charge"))
    work = ModelWork(intents=FakeIntents(), intent_threshold=0.55,  # type: ignore[arg-type]
                     deadline_s={"summary": 180, "explanation": 30, "intent": 15})
    handler = AgentHandler(graph, fakes.context(), approval_graph=approval_graph_of(graph),
                           inbox=_Inbox(), end_wait_s=30, model_work=work, monotonic=lambda: 100.0)
    if not reorder:
        return handler
    return ReorderingHandler(handler, expected_seq=lambda call_id: 0, monotonic=lambda: 100.0)


def _run(monkeypatch: pytest.MonkeyPatch, handler: StageHandler,
         records: list[ConsumerRecord]) -> list[tuple[Any, ...]]:
    events = _Events()
    stop = threading.Event()
    consumer = _FakeConsumer(events, [records], stop)
    monkeypatch.setattr(runner_module, "make_consumer", lambda *a, **k: consumer)
    monkeypatch.setattr(runner_module, "Publisher", lambda *a, **k: _Publisher(events))
    settings = Settings(kafka=KafkaSettings(retry_backoff_ms=0))
    run_stage(handler, bootstrap="unused:9092", settings=settings, stop=stop)
    return events.log


def _per_call(log: list[tuple[Any, ...]]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Published messages per call, in order (calls are independent, so only that counts)."""
    calls: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for entry in log:
        if entry[0] == "send" and not entry[1].endswith(".dlq"):
            message = entry[2]
            calls.setdefault(message.call_id, []).append((entry[1], message.model_dump()))
    return calls


def _dead(log: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [e for e in log if e[0] == "send" and e[1].endswith(".dlq")]


@pytest.mark.parametrize("reorder", [False, True], ids=["agent", "reordering"])
@pytest.mark.parametrize("poison", [False, True], ids=["clean", "poison"])
def test_batch_gives_the_outputs_of_one_by_one(monkeypatch: pytest.MonkeyPatch, poison: bool,
                                               reorder: bool) -> None:
    records = [_record(0, i, encode(m)) for i, m in enumerate(_script(poison=poison))]
    single_graph = _CountingGraph(build_graph(InMemorySaver()))
    single = _run(monkeypatch, _OneByOne(_agent(single_graph, reorder=reorder)), records)
    batch_graph = _CountingGraph(build_graph(InMemorySaver()))
    batched = _run(monkeypatch, _agent(batch_graph, reorder=reorder), records)

    assert _per_call(batched) == _per_call(single)
    topics = [t for t, _ in _per_call(single)["c1"]]
    assert topics.count(Topic.INSIGHTS.value) == 4 and topics.count(Topic.SUMMARIES.value) == 1
    assert Topic.MODEL_REQUESTS.value in topics
    if poison:  # the poison record alone, dead-lettered once, in either run
        assert len(_dead(batched)) == len(_dead(single)) == 1
        assert [(e[1], e[2]) for e in _dead(batched)] == [(e[1], e[2]) for e in _dead(single)]
    else:
        assert _dead(batched) == _dead(single) == []
        # c1's turns: 0 | 1, 2 (dispute: the run stops) | 3, 4; c2's turns 0..3 in one run
        assert batch_graph.invokes < single_graph.invokes - 4
    assert ("commit", {0: len(records)}) in batched


class _Flaky(AgentHandler):
    """Its first handle_many fails after doing part of the work."""

    failed = False

    def handle_many(self, incomings: Sequence[Incoming]) -> Sequence[Outgoing]:
        if not self.failed:
            self.failed = True
            super().handle_many(incomings)
            raise RuntimeError("worker hiccup after the batch ran")
        return super().handle_many(incomings)


def test_a_failed_batch_is_redone_one_by_one_with_the_same_outputs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = [_record(0, i, encode(m)) for i, m in enumerate(_script(poison=False))]
    fakes = ports(world("duplicate_charge"))
    graph, other = build_graph(InMemorySaver()), build_graph(InMemorySaver())
    flaky = _Flaky(graph, fakes.context(), approval_graph=approval_graph_of(graph),
                   inbox=_Inbox(), end_wait_s=30, monotonic=lambda: 100.0)
    single = _run(monkeypatch, _OneByOne(AgentHandler(
        other, ports(world("duplicate_charge")).context(), approval_graph=approval_graph_of(other),
        inbox=_Inbox(), end_wait_s=30, monotonic=lambda: 100.0)), records)
    redone = _run(monkeypatch, flaky, records)
    assert flaky.failed and _dead(redone) == []
    assert _per_call(redone) == _per_call(single)
    assert fakes.ledger.total == 1_650  # the dispute's credit once, though its turn ran twice


def test_handle_turns_stops_after_a_dispute() -> None:
    fakes = ports(world("duplicate_charge"))
    graph = build_graph(InMemorySaver())
    context = fakes.context()
    handler = AgentHandler(graph, context, approval_graph=approval_graph_of(graph))
    handler.handle(Incoming(CallStarted(call_id="c1", customer_id="C1"), 0, 0))
    turns = [_say("c1", 0, "요금제 바꾸고 싶어요"), _say("c1", 1, "컬러링이 두 번 청구됐어요"),
             _say("c1", 2, "감사합니다")]
    first = handle_turns(graph, context, turns)
    assert len(first) == 2 and first[1].insight is not None and first[1].insight.dispute
    assert [r.duplicate for r in first] == [False, False]
    again = handle_turns(graph, context, turns)  # redelivered: all duplicates, one run
    assert [r.duplicate for r in again] == [True, True, False]
    assert [r.insight.utterance_seq for r in again if r.insight] == [0, 1, 2]
    with pytest.raises(ValueError):
        handle_turns(graph, context, [turns[0], turns[0]])


class _BatchInbox(_Inbox):
    """An inbox that also marks a whole batch at once (as SqlCallStore does), counting calls."""

    def __init__(self) -> None:
        super().__init__()
        self.singles = 0
        self.batches = 0

    def mark_processed(self, *, consumer: str, message_id: str) -> bool:
        self.singles += 1
        return super().mark_processed(consumer=consumer, message_id=message_id)

    def mark_processed_many(self, *, consumer: str, message_ids: Sequence[str]) -> set[str]:
        self.batches += 1
        new = set(message_ids) - self.seen
        self.seen.update(message_ids)
        return new


def test_a_batch_marks_the_inbox_once_with_the_outputs_of_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = _script(poison=False)
    again = next(m for m in script if isinstance(m, Utterance) and m.call_id == "c2")
    script.insert(script.index(again) + 2, again)  # a redelivered copy inside the same batch
    records = [_record(0, i, encode(m)) for i, m in enumerate(script)]
    one, two = build_graph(InMemorySaver()), build_graph(InMemorySaver())
    single = _run(monkeypatch, _OneByOne(AgentHandler(
        one, ports(world("duplicate_charge")).context(), approval_graph=approval_graph_of(one),
        inbox=_Inbox(), end_wait_s=30, monotonic=lambda: 100.0)), records)
    inbox = _BatchInbox()
    batched = _run(monkeypatch, AgentHandler(
        two, ports(world("duplicate_charge")).context(), approval_graph=approval_graph_of(two),
        inbox=inbox, end_wait_s=30, monotonic=lambda: 100.0), records)
    assert _per_call(batched) == _per_call(single)
    assert (inbox.batches, inbox.singles) == (1, 0)
