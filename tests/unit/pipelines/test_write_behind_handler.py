"""The agent handler on a write-behind checkpointer: flushed in tick, never committed past.

The durable store here is LangGraph's InMemorySaver (the SQL savers are exercised in
tests/integration/test_write_behind.py); a flaky one stands in for a database outage.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata
from langgraph.checkpoint.memory import InMemorySaver

from agents.graph import build_graph, call_state
from pipelines.agent import AgentHandler
from pipelines.stage import Incoming
from services.db.write_behind import WriteBehindSaver
from services.schemas import CallEnded, CallInsight, CallStarted, Message, Speaker, Topic, Utterance
from tests.unit.agents.fakes import approval_graph_of, ports, world


class DatabaseDown(Exception):
    pass


class FlakyStore(InMemorySaver):
    """Fails the next `failures` puts, like a database that is away."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 0
        self.puts = 0

    def put(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
            new_versions: ChannelVersions) -> RunnableConfig:
        if self.failures:
            self.failures -= 1
            raise DatabaseDown("database unavailable")
        self.puts += 1
        return super().put(config, checkpoint, metadata, new_versions)


class SeenInbox:
    def __init__(self) -> None:
        self.seen: set[str] = set()

    def mark_processed(self, *, consumer: str, message_id: str) -> bool:
        first = message_id not in self.seen
        self.seen.add(message_id)
        return first


class Monotonic:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def _handler(store: FlakyStore, inbox: SeenInbox | None = None) -> tuple[AgentHandler, Any, Any]:
    fakes = ports(world("duplicate_charge"))
    saver = WriteBehindSaver(store).defer()
    graph = build_graph(saver)
    handler = AgentHandler(graph, fakes.context(), approval_graph=approval_graph_of(graph),
                           inbox=inbox, end_wait_s=30, checkpoints=saver, monotonic=Monotonic())
    return handler, graph, fakes


def _in(message: Message, offset: int, partition: int = 0) -> Incoming:
    return Incoming(message=message, partition=partition, offset=offset)


def _say(seq: int, text: str, call: str = "c1", speaker: Speaker = Speaker.CUSTOMER) -> Utterance:
    return Utterance(call_id=call, seq=seq, speaker=speaker, text=text, start_ms=0, end_ms=1,
                     confidence=0.9)


def _durable(store: FlakyStore, call_id: str) -> dict[str, Any]:
    found = store.get_tuple({"configurable": {"thread_id": call_id, "checkpoint_ns": ""}})
    return {} if found is None else dict(found.checkpoint["channel_values"])


def test_a_batch_is_written_once_per_call_in_tick() -> None:
    store = FlakyStore()
    handler, graph, _ = _handler(store)
    handler.handle(_in(CallStarted(call_id="c1", customer_id="C1"), 0))
    handler.handle(_in(_say(0, "요금제 바꾸고 싶어요"), 1))
    handler.handle(_in(_say(1, "확인해 드리겠습니다", speaker=Speaker.AGENT), 2))
    handler.handle(_in(CallStarted(call_id="c2", customer_id="C1"), 3))
    assert store.puts == 0 and call_state(graph, "c1")["processed_seqs"] == [0, 1]
    assert list(handler.tick(100.0)) == []
    assert store.puts == 2 and handler.stats.flushes == 1
    assert _durable(store, "c1")["processed_seqs"] == [0, 1]
    assert handler.safe_offset(0) is None


def test_commit_is_held_back_while_the_state_cannot_be_flushed() -> None:
    store = FlakyStore()
    handler, _, _ = _handler(store)
    handler.handle(_in(CallStarted(call_id="c1", customer_id="C1"), 5))
    handler.handle(_in(_say(0, "요금제 바꾸고 싶어요"), 6))
    store.failures = 2
    with pytest.raises(DatabaseDown):
        handler.tick(100.0)
    assert handler.safe_offset(0) == 5  # the runner commits nothing of this batch
    assert handler.safe_offset(0) is None  # the database is back: flushed on the way
    assert _durable(store, "c1")["processed_seqs"] == [0]


def test_a_forced_summary_survives_a_failed_flush() -> None:
    store = FlakyStore()
    handler, _, _ = _handler(store)
    handler.handle(_in(CallStarted(call_id="c1", customer_id="C1"), 0))
    handler.handle(_in(_say(0, "요금제 바꾸고 싶어요"), 1))
    assert list(handler.handle(_in(CallEnded(call_id="c1", utterances=2), 2))) == []
    handler.tick(100.0)
    store.failures = 2
    with pytest.raises(DatabaseDown):
        handler.tick(131.0)  # seq 1 never came: summarized, but the flush fails
    assert handler.safe_offset(0) == 2
    assert [o.topic for o in handler.tick(132.0)] == [Topic.SUMMARIES]
    assert _durable(store, "c1")["summary"] is not None and handler.safe_offset(0) is None


def test_revoke_discards_unflushed_state_of_lost_partitions_only() -> None:
    store = FlakyStore()
    handler, graph, _ = _handler(store)
    handler.handle(_in(CallStarted(call_id="c1", customer_id="C1"), 0, partition=0))
    handler.handle(_in(CallStarted(call_id="c2", customer_id="C1"), 0, partition=1))
    handler.handle(_in(_say(0, "요금제 바꾸고 싶어요", call="c2"), 1, partition=1))
    handler.revoke({1})
    assert call_state(graph, "c2") == {} and handler.safe_offset(1) is None
    handler.tick(100.0)
    assert _durable(store, "c1")["customer_id"] == "C1" and _durable(store, "c2") == {}


def test_a_crash_before_the_flush_replays_to_the_same_insight() -> None:
    store, inbox = FlakyStore(), SeenInbox()
    handler, _, fakes = _handler(store, inbox)
    handler.handle(_in(CallStarted(call_id="c1", customer_id="C1"), 0))
    handler.tick(100.0)
    first = list(handler.handle(_in(_say(0, "컬러링이 두 번 청구됐어요"), 1)))
    # Crash: the utterance's state never reached the store, its offset was never committed.
    again_handler, _, _ = _handler(store, inbox)
    again_handler._context = fakes.context()  # noqa: SLF001  (the same ledger: one database)
    again = list(again_handler.handle(_in(_say(0, "컬러링이 두 번 청구됐어요"), 1)))
    insight, replayed = first[0].message, again[0].message
    assert isinstance(insight, CallInsight) and isinstance(replayed, CallInsight)
    assert replayed.message_id == insight.message_id  # the sink replaces, never doubles
    assert insight.dispute is not None and replayed.dispute is not None
    same = ("outcome", "rule", "amount_krw", "invoice_line_ids", "idempotency_key")
    assert ({k: getattr(replayed.dispute, k) for k in same}
            == {k: getattr(insight.dispute, k) for k in same})
    assert fakes.ledger.total == 1_650  # the ledger's key: credited once, asked twice
