"""Pure parts of the stage runner, and its cycle order against in-memory fakes."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from sqlalchemy import exc as sa_exc

import pipelines.runner as runner_module
from pipelines.attempts import Done, Failed, Interrupted, backoff_delay, call_with_retries
from pipelines.dlq import DLQ_HEADER_PREFIX, build_dead_letter, error_class_name
from pipelines.offsets import OffsetTracker, PartitionKey
from pipelines.rebalance import StageRebalanceListener
from pipelines.runner import run_stage
from pipelines.stage import Incoming, Outgoing, PoisonMessage
from pipelines.transient import is_transient
from services.broker import PublishError
from services.config import KafkaSettings, Settings
from services.schemas import (
    CallInsight,
    DecodeError,
    Intent,
    IntentTier,
    Speaker,
    Topic,
    Utterance,
    encode,
)

TOPIC = Topic.TRANSCRIPTS.value
P0 = PartitionKey(TOPIC, 0)
P1 = PartitionKey(TOPIC, 1)


# --- offsets -------------------------------------------------------------------------


def test_commit_target_is_next_offset_after_handled() -> None:
    tracker = OffsetTracker()
    tracker.handled(P0, 0)
    tracker.handled(P0, 1)
    tracker.handled(P1, 7)
    assert tracker.due(lambda _p: None) == {P0: 2, P1: 8}


def test_commit_never_passes_safe_offset() -> None:
    tracker = OffsetTracker()
    for offset in range(10):
        tracker.handled(P0, offset)
    assert tracker.due(lambda p: 4 if p == 0 else None) == {P0: 4}


def test_safe_offset_beyond_position_does_not_skip_ahead() -> None:
    tracker = OffsetTracker()
    tracker.handled(P0, 2)
    assert tracker.due(lambda _p: 100) == {P0: 3}


def test_nothing_due_until_position_or_safe_offset_moves() -> None:
    tracker = OffsetTracker()
    tracker.handled(P0, 5)
    safe: dict[int, int | None] = {0: 3}
    first = tracker.due(safe.get)
    tracker.committed(first)
    assert first == {P0: 3}
    assert tracker.due(safe.get) == {}
    safe[0] = None  # the call ended: its state is no longer needed
    assert tracker.due(safe.get) == {P0: 6}


def test_forget_drops_revoked_partitions() -> None:
    tracker = OffsetTracker()
    tracker.handled(P0, 1)
    tracker.handled(P1, 1)
    tracker.forget([P0])
    assert tracker.position(P0) is None
    assert tracker.due(lambda _p: None) == {P1: 2}


# --- dead letters --------------------------------------------------------------------


def _headers(letter_headers: Sequence[tuple[str, bytes]]) -> dict[str, str]:
    return {name: value.decode() for name, value in letter_headers}


def test_dead_letter_keeps_bytes_and_describes_the_failure() -> None:
    value = b"\xff\x00 not a message"
    letter = build_dead_letter(
        stage="agent",
        topic=TOPIC,
        partition=3,
        offset=42,
        key=b"call-1",
        value=value,
        headers=[("trace", b"abc")],
        error=DecodeError("bad json"),
        attempts=0,
    )
    assert letter.topic == f"{TOPIC}.dlq"
    assert (letter.key, letter.value) == (b"call-1", value)
    headers = _headers(letter.headers)
    assert headers["trace"] == "abc"
    assert headers[DLQ_HEADER_PREFIX + "error.class"] == "services.schemas.codec.DecodeError"
    assert headers[DLQ_HEADER_PREFIX + "error.message"] == "bad json"
    assert headers[DLQ_HEADER_PREFIX + "stage"] == "agent"
    assert headers[DLQ_HEADER_PREFIX + "source.topic"] == TOPIC
    assert headers[DLQ_HEADER_PREFIX + "source.partition"] == "3"
    assert headers[DLQ_HEADER_PREFIX + "source.offset"] == "42"
    assert headers[DLQ_HEADER_PREFIX + "attempts"] == "0"


def test_dead_letter_replaces_headers_of_an_earlier_dead_lettering() -> None:
    old = [(DLQ_HEADER_PREFIX + "attempts", b"3"), ("trace", b"x")]
    letter = build_dead_letter(
        stage="sink", topic=TOPIC, partition=0, offset=1, key=None, value=None,
        headers=old, error=RuntimeError("x" * 5000), attempts=1,
    )  # fmt: skip
    names = [name for name, _ in letter.headers]
    assert names.count(DLQ_HEADER_PREFIX + "attempts") == 1
    assert len(_headers(letter.headers)[DLQ_HEADER_PREFIX + "error.message"]) == 2000


def test_error_class_name_is_qualified() -> None:
    assert error_class_name(PoisonMessage("x")) == "pipelines.stage.PoisonMessage"


# --- retries -------------------------------------------------------------------------


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_delay(a, 0.2) for a in (1, 2, 3)] == [0.2, 0.4, 0.8]
    assert backoff_delay(10, 0.2) == 5.0


def _flaky(failures: int, error: Exception) -> Any:
    calls = {"n": 0}

    def call() -> Sequence[Outgoing]:
        calls["n"] += 1
        if calls["n"] <= failures:
            raise error
        return []

    return call


def test_transient_error_is_retried_then_succeeds() -> None:
    waits: list[float] = []
    outcome = call_with_retries(
        _flaky(2, TimeoutError("db busy")),
        max_attempts=3,
        base_backoff_s=0.1,
        wait=lambda s: waits.append(s) or False,
    )
    assert isinstance(outcome, Done) and outcome.attempts == 3
    assert waits == [0.1, 0.2]


def test_poison_goes_to_dlq_without_retry() -> None:
    waits: list[float] = []
    outcome = call_with_retries(
        _flaky(99, PoisonMessage("no customer id")),
        max_attempts=3,
        base_backoff_s=0.1,
        wait=lambda s: waits.append(s) or False,
    )
    assert isinstance(outcome, Failed) and outcome.attempts == 1
    assert isinstance(outcome.error, PoisonMessage)
    assert waits == []


def test_persistent_error_goes_to_dlq_after_max_attempts() -> None:
    outcome = call_with_retries(
        _flaky(99, ValueError("boom")), max_attempts=3, base_backoff_s=0, wait=lambda s: False
    )
    assert isinstance(outcome, Failed) and outcome.attempts == 3


def test_stop_during_backoff_interrupts_without_dead_lettering() -> None:
    outcome = call_with_retries(
        _flaky(99, ValueError("boom")), max_attempts=5, base_backoff_s=1, wait=lambda s: True
    )
    assert isinstance(outcome, Interrupted) and outcome.attempts == 1


# --- rebalance listener --------------------------------------------------------------


class _RevokeRecorder:
    name = "rec"
    sources = (Topic.TRANSCRIPTS,)

    def __init__(self) -> None:
        self.revoked: list[set[int]] = []

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        return []

    def tick(self, now: float) -> Sequence[Outgoing]:
        return []

    def safe_offset(self, partition: int) -> int | None:
        return None

    def revoke(self, partitions: Collection[int]) -> None:
        self.revoked.append(set(partitions))


def test_listener_revokes_and_rewinds_partitions_that_come_back() -> None:
    handler = _RevokeRecorder()
    tracker = OffsetTracker()
    tracker.handled(P0, 4)
    ready = threading.Event()
    listener = StageRebalanceListener(handler, tracker, ready)
    tp0, tp1, tp2 = (TopicPartition(TOPIC, p) for p in range(3))
    listener.on_partitions_assigned({tp0, tp1})
    assert ready.is_set()
    assert listener.take_rewinds() == set()
    listener.on_partitions_revoked({tp0, tp1})
    assert handler.revoked == [{0, 1}]
    assert tracker.position(P0) is None
    listener.on_partitions_assigned({tp1, tp2})
    assert listener.take_rewinds() == {tp1}
    assert listener.take_rewinds() == set()


# --- one cycle against fakes: order of send, flush and commit ------------------------


def _utterance(call_id: str, seq: int) -> Utterance:
    return Utterance(
        call_id=call_id, seq=seq, speaker=Speaker.CUSTOMER, text="요금이 이상해요",
        start_ms=0, end_ms=900, confidence=0.9,
    )  # fmt: skip


def _insight(utterance: Utterance) -> CallInsight:
    return CallInsight(
        call_id=utterance.call_id, utterance_seq=utterance.seq, intent=Intent.BILLING_DISPUTE,
        intent_confidence=0.9, intent_tier=IntentTier.FAST, churn_score=0.1, churn_flag=False,
    )  # fmt: skip


def _record(partition: int, offset: int, value: bytes) -> ConsumerRecord:
    return ConsumerRecord(
        TOPIC, partition, -1, offset, 0, 0, b"k", value, [], None, 1, len(value), 0
    )


@dataclass
class _Events:
    log: list[tuple[Any, ...]] = field(default_factory=list)


class _FakeConsumer:
    def __init__(self, events: _Events, batches: list[list[ConsumerRecord]], stop: threading.Event):
        self._events = events
        self._batches = batches
        self._stop = stop
        self._listener: Any = None

    def subscribe(self, topics: list[str], listener: Any) -> None:
        self._listener = listener

    def poll(self, timeout_ms: int) -> dict[TopicPartition, list[ConsumerRecord]]:
        if not self._batches:
            self._stop.set()
            return {}
        if self._listener is not None:
            self._listener.on_partitions_assigned({TopicPartition(TOPIC, 0)})
            self._listener = None
        batch: dict[TopicPartition, list[ConsumerRecord]] = {}
        for record in self._batches.pop(0):
            batch.setdefault(TopicPartition(record.topic, record.partition), []).append(record)
        return batch

    def commit(self, offsets: dict[TopicPartition, Any]) -> None:
        self._events.log.append(("commit", {tp.partition: om.offset for tp, om in offsets.items()}))

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition(TOPIC, 0)}

    def committed(self, tp: TopicPartition) -> int | None:
        return self.committed_offset

    committed_offset: int | None = None

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self._events.log.append(("seek", tp.partition, offset))

    def seek_to_beginning(self, tp: TopicPartition) -> None:
        self._events.log.append(("seek", tp.partition, 0))

    def highwater(self, tp: TopicPartition) -> int | None:
        return None

    def close(self, autocommit: bool) -> None:
        self._events.log.append(("close", autocommit))


class _FakePublisher:
    fail_flushes = 0  # flushes that raise PublishError (the broker lost the output)

    def __init__(self, events: _Events) -> None:
        self._events = events

    def send(self, topic: Topic, message: Any) -> None:
        self._events.log.append(("send", str(topic)))

    def send_raw(self, topic: str, *, key: Any, value: Any, headers: Any = ()) -> None:
        self._events.log.append(("send", topic))

    def flush(self, timeout_s: float | None = None) -> None:
        self._events.log.append(("flush",))
        if _FakePublisher.fail_flushes > 0:
            _FakePublisher.fail_flushes -= 1
            raise PublishError("1 record(s) not delivered")

    def close(self, timeout_s: float = 10.0) -> None:
        self._events.log.append(("publisher-close",))


class _Insighter(_RevokeRecorder):
    name = "insighter"

    def __init__(self, hold_from: int | None = None) -> None:
        super().__init__()
        self.hold_from = hold_from

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        assert isinstance(incoming.message, Utterance)
        if incoming.message.text == "poison":
            raise PoisonMessage("bad utterance")
        return [Outgoing(Topic.INSIGHTS, _insight(incoming.message))]

    def safe_offset(self, partition: int) -> int | None:
        return self.hold_from


def _run_with_fakes(
    monkeypatch: pytest.MonkeyPatch, handler: _Insighter, batches: list[list[ConsumerRecord]]
) -> tuple[_Events, runner_module.StageStats]:
    events = _Events()
    stop = threading.Event()
    consumer = _FakeConsumer(events, batches, stop)
    monkeypatch.setattr(runner_module, "make_consumer", lambda *a, **k: consumer)
    monkeypatch.setattr(runner_module, "Publisher", lambda *a, **k: _FakePublisher(events))
    settings = Settings(kafka=KafkaSettings(retry_backoff_ms=0))
    stats = run_stage(handler, bootstrap="unused:9092", settings=settings, stop=stop)
    return events, stats


def test_cycle_sends_then_flushes_then_commits(monkeypatch: pytest.MonkeyPatch) -> None:
    good = [encode(_utterance("c1", i)) for i in range(3)]
    poison = encode(_utterance("c1", 3).model_copy(update={"text": "poison"}))
    batch = [_record(0, i, v) for i, v in enumerate([*good, b"garbage", poison])]
    events, stats = _run_with_fakes(monkeypatch, _Insighter(), [batch])
    log = events.log
    sends = [e for e in log if e[0] == "send"]
    assert sends == [("send", Topic.INSIGHTS.value)] * 3 + [("send", f"{TOPIC}.dlq")] * 2
    assert log.index(("flush",)) > max(i for i, e in enumerate(log) if e[0] == "send")
    assert log.index(("commit", {0: 5})) > log.index(("flush",))
    assert log[-2:] == [("close", False), ("publisher-close",)]
    assert (stats.consumed, stats.produced, stats.dlq, stats.retries) == (5, 3, 2, 0)


def test_cycle_commits_only_up_to_safe_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    batch = [_record(0, i, encode(_utterance("c1", i))) for i in range(4)]
    events, _ = _run_with_fakes(monkeypatch, _Insighter(hold_from=1), [batch])
    commits = [e for e in events.log if e[0] == "commit"]
    assert commits == [("commit", {0: 1})]


# --- outages: database away (wait, never DLQ), output lost (rewind, new producer) -------


class _DatabaseDown(_Insighter):
    """Fails every utterance with a database error `outage` times, then works."""

    name = "dbdown"

    def __init__(self, outage: int) -> None:
        super().__init__()
        self.outage = outage
        self.attempts = 0

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        self.attempts += 1
        if self.attempts <= self.outage:
            raise sa_exc.OperationalError("INSERT", {}, sqlite3.OperationalError("locked"))
        return super().handle(incoming)


def test_database_outage_is_waited_out_not_dead_lettered(monkeypatch: pytest.MonkeyPatch) -> None:
    batch = [_record(0, i, encode(_utterance("c1", i))) for i in range(2)]
    handler = _DatabaseDown(outage=7)  # more than max_attempts (3) twice over
    events, stats = _run_with_fakes(monkeypatch, handler, [batch])
    sends = [e for e in events.log if e[0] == "send"]
    assert sends == [("send", Topic.INSIGHTS.value)] * 2
    assert (stats.consumed, stats.produced, stats.dlq) == (2, 2, 0)
    assert stats.transient_waits == 2 and handler.attempts == 9
    assert ("commit", {0: 2}) in events.log


def test_transient_classification() -> None:
    locked = sa_exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))
    assert is_transient(locked)
    assert is_transient(sqlite3.OperationalError("attempt to write a readonly database"))
    wrapped = RuntimeError("graph step failed")
    wrapped.__cause__ = locked
    assert is_transient(wrapped)
    integrity = sa_exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE"))
    assert not is_transient(integrity)
    assert not is_transient(ConnectionError("not a database"))
    assert not is_transient(PoisonMessage("bad"))


def test_lost_output_rewinds_to_committed_and_builds_a_new_producer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = [_record(0, i, encode(_utterance("c1", i))) for i in range(3)]
    again = [_record(0, i, encode(_utterance("c1", i))) for i in range(3)]
    monkeypatch.setattr(_FakePublisher, "fail_flushes", 1)
    monkeypatch.setattr(_FakeConsumer, "committed_offset", 0)
    handler = _Insighter()
    events, stats = _run_with_fakes(monkeypatch, handler, [first, again])
    log = events.log
    failed_flush = log.index(("flush",))
    # Nothing committed for the lost batch; the handler forgot its partition; the consumer
    # was rewound to the committed offset; a new producer was built before the re-read.
    assert not any(e[0] == "commit" for e in log[: failed_flush + 1])
    assert handler.revoked == [{0}]
    assert ("seek", 0, 0) in log[failed_flush:]
    assert log[failed_flush + 1] == ("publisher-close",)
    assert ("commit", {0: 3}) in log[failed_flush:]
    assert stats.broker_recoveries == 1 and stats.dlq == 0
    assert stats.produced == 6  # the batch's outputs again, keyed and idempotent downstream


def test_held_messages_are_found_through_wrappers() -> None:
    class _Inner:
        buffered = 3

    class _Wrapper:
        inner = _Inner()

    assert runner_module._buffered(_Wrapper()) == 3
    assert runner_module._buffered(object()) is None
