"""Per-call reordering: the pure buffer and the wrapper around a stage handler."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Collection, Sequence

import pytest

from pipelines.reorder import (
    Arrival,
    Gap,
    ReorderBuffer,
    ReorderingHandler,
    next_seq_after,
)
from pipelines.stage import Incoming, Outgoing, StageHandler
from services.schemas import (
    CallEnded,
    CallInsight,
    CallStarted,
    Intent,
    IntentTier,
    Speaker,
    Topic,
    Utterance,
)

# --- the buffer ----------------------------------------------------------------------


def _buffer(window_s: float = 5.0, per_call: int = 8, total: int = 100) -> ReorderBuffer[str]:
    return ReorderBuffer(window_s=window_s, max_per_call=per_call, max_total=total)


def test_classify_next_ahead_held_duplicate_late() -> None:
    buffer = _buffer()
    buffer.open("c", 3)
    assert buffer.classify("c", 3) is Arrival.NEXT
    assert buffer.classify("c", 5) is Arrival.AHEAD
    assert buffer.hold("c", 5, "u5", now=0.0) == []
    assert buffer.classify("c", 5) is Arrival.HELD
    assert buffer.classify("c", 1) is Arrival.DUPLICATE
    assert buffer.expire(now=5.0) == [Gap("c", 3, 5, "timeout")]
    assert buffer.classify("c", 4) is Arrival.LATE
    assert buffer.peek_ready("c") == (5, "u5")


def test_gap_filler_releases_in_order_and_nothing_expires() -> None:
    buffer = _buffer()
    buffer.open("c", 0)
    for seq in (3, 1, 2):
        buffer.hold("c", seq, f"u{seq}", now=0.0)
    assert buffer.peek_ready("c") is None
    buffer.advance("c", 0)
    released = []
    while (ready := buffer.peek_ready("c")) is not None:
        released.append(ready[1])
        buffer.pop("c", ready[0])
    assert released == ["u1", "u2", "u3"]
    assert buffer.next_seq("c") == 4 and buffer.held == 0
    assert buffer.expire(now=100.0) == []


def test_per_call_bound_forces_the_oldest_wait_to_end() -> None:
    buffer = _buffer(per_call=2)
    buffer.open("c", 0)
    assert buffer.hold("c", 5, "u5", now=0.0) == []
    assert buffer.hold("c", 6, "u6", now=0.0) == []
    assert buffer.hold("c", 9, "u9", now=0.0) == [Gap("c", 0, 5, "full")]
    assert buffer.next_seq("c") == 5 and buffer.peek_ready("c") == (5, "u5")


def test_total_bound_ends_the_oldest_wait_of_any_call() -> None:
    buffer = _buffer(total=2)
    for call in ("a", "b", "c"):
        buffer.open(call, 0)
    buffer.hold("a", 2, "a2", now=0.0)
    buffer.hold("b", 1, "b1", now=1.0)
    assert buffer.hold("c", 4, "c4", now=2.0) == [Gap("a", 0, 2, "full")]
    buffer.pop("a", 2)
    assert buffer.held == 2


def test_a_huge_seq_is_one_held_item_and_a_gap_is_a_range() -> None:
    buffer = _buffer(window_s=1.0)
    buffer.open("c", 0)
    buffer.hold("c", 10**12, "far", now=0.0)
    (gap,) = buffer.expire(now=1.0)
    assert (gap.start, gap.end, gap.missing) == (0, 10**12, 10**12)


def test_idle_calls_are_bounded_and_forget_drops_a_partition() -> None:
    buffer: ReorderBuffer[str] = ReorderBuffer(
        window_s=1, max_per_call=4, max_total=10, max_idle_calls=3
    )
    buffer.open("held", 0, tag=1)
    buffer.hold("held", 2, "x", now=0.0)
    for n in range(5):
        buffer.open(f"idle{n}", 0, tag=0)
    assert buffer.knows("held") and not buffer.knows("idle0") and buffer.knows("idle4")
    assert buffer.forget({1}) == 1
    assert not buffer.knows("held") and buffer.held == 0


def test_next_seq_after() -> None:
    assert next_seq_after([]) == 0
    assert next_seq_after([0, 1, 2, 4]) == 5


def test_bad_bounds_are_refused() -> None:
    with pytest.raises(ValueError):
        ReorderBuffer(window_s=1, max_per_call=0, max_total=1)


# --- the wrapper ---------------------------------------------------------------------


def _utterance(call_id: str, seq: int) -> Utterance:
    return Utterance(
        call_id=call_id, seq=seq, speaker=Speaker.CUSTOMER, text="요금이 이상해요",
        start_ms=seq * 1000, end_ms=seq * 1000 + 900, confidence=0.9,
    )  # fmt: skip


def _insight(utterance: Utterance) -> CallInsight:
    return CallInsight(
        call_id=utterance.call_id, utterance_seq=utterance.seq, intent=Intent.OTHER,
        intent_confidence=0.5, intent_tier=IntentTier.FAST, churn_score=0.0, churn_flag=False,
    )  # fmt: skip


class _Recorder:
    """Records the utterance seqs it handles; idempotent like the agent handler."""

    name = "agent"
    sources = (Topic.TRANSCRIPTS,)

    def __init__(self) -> None:
        self.handled: list[tuple[str, int]] = []
        self.processed: dict[str, set[int]] = {}
        self.revoked: list[set[int]] = []
        self.ticks = 0

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        message = incoming.message
        if not isinstance(message, Utterance):
            return []
        self.handled.append((message.call_id, message.seq))
        self.processed.setdefault(message.call_id, set()).add(message.seq)
        return [Outgoing(Topic.INSIGHTS, _insight(message))]

    def tick(self, now: float) -> Sequence[Outgoing]:
        self.ticks += 1
        return []

    def safe_offset(self, partition: int) -> int | None:
        return None

    def revoke(self, partitions: Collection[int]) -> None:
        self.revoked.append(set(partitions))


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _wrap(
    inner: _Recorder, clock: _Clock, gaps: list[Gap] | None = None, **bounds: int
) -> ReorderingHandler:
    handler = ReorderingHandler(
        inner,
        expected_seq=lambda call_id: next_seq_after(inner.processed.get(call_id, set())),
        window_s=5.0,
        max_per_call=bounds.get("max_per_call", 16),
        max_total=bounds.get("max_total", 100),
        on_gap=None if gaps is None else gaps.append,
        monotonic=clock,
    )
    typed: StageHandler = handler  # the wrapper is itself a stage handler
    assert typed.name == "agent"
    return handler


def _seqs(outputs: Sequence[Outgoing]) -> list[int]:
    seqs = []
    for output in outputs:
        assert isinstance(output.message, CallInsight)
        seqs.append(output.message.utterance_seq)
    return seqs


def _feed(handler: ReorderingHandler, messages: list[Utterance | CallEnded | CallStarted],
          partition: int = 0) -> list[Outgoing]:  # fmt: skip
    outputs: list[Outgoing] = []
    for offset, message in enumerate(messages):
        outputs += handler.handle(Incoming(message=message, partition=partition, offset=offset))
    return outputs


def test_shuffled_and_duplicated_utterances_reach_the_inner_handler_in_order() -> None:
    rng = random.Random(5)
    inner, clock = _Recorder(), _Clock()
    handler = _wrap(inner, clock, max_per_call=64)
    seqs = list(range(30)) * 2
    rng.shuffle(seqs)
    outputs = _feed(handler, [_utterance("c", seq) for seq in seqs])
    first_time = [seq for call, seq in inner.handled if call == "c"]
    assert sorted(set(first_time)) == list(range(30))
    new = []
    seen: set[int] = set()
    for seq in first_time:
        if seq not in seen:
            new.append(seq)
            seen.add(seq)
    assert new == list(range(30))  # each seq first handled in order
    assert sorted(set(_seqs(outputs))) == list(range(30))
    assert handler.buffered == 0 and handler.safe_offset(0) is None
    assert handler.stats.gaps == 0


def test_held_utterances_pin_the_commit_offset_until_released() -> None:
    inner, clock = _Recorder(), _Clock()
    handler = _wrap(inner, clock)
    assert handler.handle(Incoming(_utterance("c", 1), partition=2, offset=10)) == []
    assert handler.handle(Incoming(_utterance("c", 2), partition=2, offset=11)) == []
    assert handler.safe_offset(2) == 10 and handler.safe_offset(0) is None
    out = handler.handle(Incoming(_utterance("c", 0), partition=2, offset=12))
    assert _seqs(out) == [0, 1, 2] and handler.safe_offset(2) is None


def test_a_gap_is_released_after_the_window_and_reported() -> None:
    inner, clock = _Recorder(), _Clock()
    gaps: list[Gap] = []
    handler = _wrap(inner, clock, gaps)
    _feed(handler, [_utterance("c", 0), _utterance("c", 3), _utterance("c", 4)])
    clock.now = 4.9
    assert handler.tick(clock.now) == []
    clock.now = 5.0
    assert _seqs(handler.tick(clock.now)) == [3, 4]
    assert gaps == [Gap("c", 1, 3, "timeout")]
    assert (handler.stats.gaps, handler.stats.missing) == (1, 2)
    late = handler.handle(Incoming(_utterance("c", 1), partition=0, offset=9))
    assert _seqs(late) == [1] and handler.stats.late == 1  # processed late, not lost


def test_a_new_owner_resumes_from_durable_state_without_a_false_gap() -> None:
    inner, clock = _Recorder(), _Clock()
    inner.processed["c"] = set(range(57))  # the checkpoint of the previous owner
    handler = _wrap(inner, clock)
    assert _seqs(_feed(handler, [_utterance("c", 57)])) == [57]
    assert handler.stats.held == 0


def test_outputs_released_before_a_transient_error_are_not_lost() -> None:
    inner, clock = _Recorder(), _Clock()
    handler = _wrap(inner, clock)
    _feed(handler, [_utterance("c", 1), _utterance("c", 2)])
    locked = sqlite3.OperationalError("database is locked")
    gap_filler = Incoming(_utterance("c", 0), partition=0, offset=5)
    outputs: list[Outgoing] = []
    original = inner.handle
    calls = {"n": 0}

    def flaky(incoming: Incoming) -> Sequence[Outgoing]:
        calls["n"] += 1
        if calls["n"] == 2:  # seq 0 works, seq 1 (released after it) hits a locked database
            raise locked
        return original(incoming)

    inner.handle = flaky  # type: ignore[method-assign]
    with pytest.raises(sqlite3.OperationalError):
        handler.handle(gap_filler)
    assert handler.safe_offset(0) == 0  # seq 1 and 2 still held
    outputs += handler.handle(gap_filler)  # the runner's retry: 0 is now a duplicate
    assert sorted(_seqs(outputs)) == [0, 0, 1, 2]
    assert handler.buffered == 0


def test_a_non_transient_failure_of_a_held_utterance_is_skipped_and_counted() -> None:
    inner, clock = _Recorder(), _Clock()
    handler = _wrap(inner, clock)
    _feed(handler, [_utterance("c", 1), _utterance("c", 2)])
    original = inner.handle
    calls = {"n": 0}

    def broken_once(incoming: Incoming) -> Sequence[Outgoing]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ValueError("graph bug on this text")
        return original(incoming)

    inner.handle = broken_once  # type: ignore[method-assign]
    out = handler.handle(Incoming(_utterance("c", 0), partition=0, offset=3))
    assert _seqs(out) == [0, 2] and handler.stats.failed == 1 and handler.buffered == 0


def test_revoke_drops_held_state_and_other_messages_pass_through() -> None:
    inner, clock = _Recorder(), _Clock()
    handler = _wrap(inner, clock)
    _feed(handler, [CallStarted(call_id="c", customer_id="C-1"), _utterance("c", 2)], partition=3)
    assert handler.safe_offset(3) == 1
    handler.revoke({3})
    assert inner.revoked == [{3}] and handler.safe_offset(3) is None and handler.buffered == 0
    assert handler.handle(Incoming(CallEnded(call_id="c", utterances=3), 3, 4)) == []
    assert handler.tick(0.0) == [] and inner.ticks == 1
    assert handler.sources == (Topic.TRANSCRIPTS,)


def test_a_release_that_failed_in_tick_is_retried_on_the_next_tick() -> None:
    inner, clock = _Recorder(), _Clock()
    handler = _wrap(inner, clock)
    _feed(handler, [_utterance("c", 2)])
    original = inner.handle
    calls = {"n": 0}

    def locked_once(incoming: Incoming) -> Sequence[Outgoing]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise sqlite3.OperationalError("database is locked")
        return original(incoming)

    inner.handle = locked_once  # type: ignore[method-assign]
    clock.now = 6.0
    assert handler.tick(clock.now) == []  # gap declared, release failed: kept
    assert handler.stats.gaps == 1 and handler.buffered == 1
    assert _seqs(handler.tick(clock.now)) == [2]
    assert handler.stats.gaps == 1 and handler.buffered == 0
