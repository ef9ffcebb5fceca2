"""Per-call utterance ordering: hold early arrivals, release in seq order, record gaps.

Kafka keeps a call's messages in order on its partition, but producers do not always send
them in order (HTTP clients posting concurrently, ASR retries), and at-least-once delivery
repeats them. `ReorderBuffer` is the pure part: per call it knows the next expected seq,
holds later seqs until the missing one arrives or a window passes, and then gives up on
the missing range, which it returns as a `Gap`. Memory is bounded per call and in total;
when a bound is hit the oldest wait is cut short the same way (a gap, reason "full").

`ReorderingHandler` wraps a stage handler (the agent's) with it:
- the next expected utterance goes straight to the inner handler, followed by every held
  utterance it unblocks; a later one is held (its offset is never committed past, see
  `safe_offset`, so a crash re-reads it); an earlier one (a duplicate, or one that arrives
  after its gap was declared) goes through, the inner handler being idempotent;
- other messages (call start and end, approvals) pass straight through;
- a call it has not seen starts at `expected_seq(call_id)`, read from durable state (the
  checkpointer), so a restarted or new owner does not mistake a call in progress for one
  whose first utterances are missing;
- outputs of utterances released before an error are kept and returned with the next
  call, so a retry of the triggering message loses nothing;
- a gap is logged, counted and handed to `on_gap` (the audit log).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from pipelines.metrics import REORDER_GAPS, REORDER_MISSING
from pipelines.stage import Incoming, Outgoing, StageHandler
from pipelines.transient import is_transient
from services.schemas import CallEnded, Topic, Utterance

__all__ = [
    "Arrival",
    "Gap",
    "ReorderBuffer",
    "ReorderStats",
    "ReorderingHandler",
    "next_seq_after",
]

_log = logging.getLogger(__name__)

T = TypeVar("T")

_MAX_GAPS_KEPT = 16  # per call, to tell a late utterance from a duplicate


class Arrival(StrEnum):
    """How an utterance relates to its call's next expected seq."""

    NEXT = "next"  # the expected one: handle now
    AHEAD = "ahead"  # later than expected: hold
    HELD = "held"  # the same seq is already held: drop this copy
    DUPLICATE = "duplicate"  # already handled: pass through (idempotent)
    LATE = "late"  # given up on earlier (inside a recorded gap): pass through


@dataclass(frozen=True, slots=True)
class Gap:
    """Seqs [start, end) of a call given up on; `reason` is "timeout" or "full"."""

    call_id: str
    start: int
    end: int
    reason: str

    @property
    def missing(self) -> int:
        """How many utterances the gap spans."""
        return self.end - self.start


@dataclass(slots=True)
class _Call(Generic[T]):
    next_seq: int
    tag: int
    held: dict[int, tuple[T, float]] = field(default_factory=dict)  # seq -> (item, deadline)
    gaps: list[tuple[int, int]] = field(default_factory=list)

    def earliest_deadline(self) -> float:
        return min(deadline for _, deadline in self.held.values())

    def waiting(self) -> bool:
        """Holds items and the next expected seq is not among them."""
        return bool(self.held) and self.next_seq not in self.held

    def ready_run(self) -> int:
        """Held items from the next expected seq on without a hole (released next)."""
        run = 0
        while self.next_seq + run in self.held:
            run += 1
        return run


class ReorderBuffer(Generic[T]):
    """Next expected seq and held items per call; no I/O, time passed in.

    Args:
        window_s: How long an early item waits for the seqs before it.
        max_per_call: Items held for one call; one more forces its oldest wait to end.
        max_total: Items held over all calls; one more forces the oldest wait to end.
        max_idle_calls: Calls remembered with nothing held (least recently used dropped;
            a dropped call is re-opened from durable state when it shows up again).
    """

    def __init__(
        self,
        *,
        window_s: float,
        max_per_call: int,
        max_total: int,
        max_idle_calls: int = 10_000,
    ) -> None:
        if window_s < 0 or max_per_call < 1 or max_total < 1 or max_idle_calls < 1:
            raise ValueError("reorder window must be >= 0 and bounds >= 1")
        self._window_s = window_s
        self._max_per_call = max_per_call
        self._max_total = max_total
        self._max_idle = max_idle_calls
        self._calls: OrderedDict[str, _Call[T]] = OrderedDict()
        self._total = 0

    @property
    def held(self) -> int:
        """Items held over all calls."""
        return self._total

    def knows(self, call_id: str) -> bool:
        """True when the call's next expected seq is known."""
        return call_id in self._calls

    def open(self, call_id: str, next_seq: int, *, tag: int = 0) -> None:
        """Start tracking a call at `next_seq`; `tag` groups calls (the partition)."""
        if call_id not in self._calls:
            self._calls[call_id] = _Call(next_seq=max(0, next_seq), tag=tag)
            self._trim_idle()

    def next_seq(self, call_id: str) -> int | None:
        """The call's next expected seq, or None when it is not tracked."""
        call = self._calls.get(call_id)
        return None if call is None else call.next_seq

    def classify(self, call_id: str, seq: int) -> Arrival:
        """Where `seq` stands for an opened call."""
        call = self._calls[call_id]
        self._calls.move_to_end(call_id)
        if seq == call.next_seq:
            return Arrival.NEXT
        if seq > call.next_seq:
            return Arrival.HELD if seq in call.held else Arrival.AHEAD
        if any(start <= seq < end for start, end in call.gaps):
            return Arrival.LATE
        return Arrival.DUPLICATE

    def hold(self, call_id: str, seq: int, item: T, now: float) -> list[Gap]:
        """Hold an AHEAD item until `now + window_s`; return gaps that bounds forced."""
        call = self._calls[call_id]
        call.held[seq] = (item, now + self._window_s)
        self._total += 1
        gaps: list[Gap] = []
        if len(call.held) > self._max_per_call:
            gaps += self._give_up(call_id, call, "full")
        excess = self._total - self._max_total
        while excess > 0:
            waiting = [(c, state) for c, state in self._calls.items() if state.waiting()]
            if not waiting:
                break  # everything held is ready: the caller releases it now
            oldest_id, oldest = min(waiting, key=lambda item: item[1].earliest_deadline())
            gaps += self._give_up(oldest_id, oldest, "full")
            excess -= oldest.ready_run()
        return gaps

    def advance(self, call_id: str, seq: int) -> None:
        """Record that `seq` (the next expected) was handled."""
        call = self._calls[call_id]
        if seq >= call.next_seq:
            call.next_seq = seq + 1

    def peek_ready(self, call_id: str) -> tuple[int, T] | None:
        """The held item with the next expected seq, if any (it stays held until `pop`)."""
        call = self._calls.get(call_id)
        if call is None or call.next_seq not in call.held:
            return None
        return call.next_seq, call.held[call.next_seq][0]

    def pop(self, call_id: str, seq: int) -> None:
        """Drop a held item (after it was handled) and advance past it."""
        call = self._calls[call_id]
        if call.held.pop(seq, None) is not None:
            self._total -= 1
        self.advance(call_id, seq)

    def expire(self, now: float) -> list[Gap]:
        """End every wait whose window has passed; return the gaps (one per call)."""
        gaps: list[Gap] = []
        for call_id, call in list(self._calls.items()):
            if call.held and call.earliest_deadline() <= now:
                gaps += self._give_up(call_id, call, "timeout")
        return gaps

    def ready_calls(self) -> set[str]:
        """Calls whose next expected seq is held (to be released)."""
        return {call_id for call_id, call in self._calls.items() if call.next_seq in call.held}

    def items(self) -> Iterator[tuple[str, int, T]]:
        """Every held (call_id, seq, item)."""
        for call_id, call in self._calls.items():
            for seq, (item, _) in call.held.items():
                yield call_id, seq, item

    def close(self, call_id: str) -> None:
        """Stop tracking a call with nothing held (e.g. it ended)."""
        call = self._calls.get(call_id)
        if call is not None and not call.held:
            del self._calls[call_id]

    def forget(self, tags: Collection[int]) -> int:
        """Drop every call with one of `tags` and its held items; return items dropped."""
        dropped = 0
        for call_id in [c for c, call in self._calls.items() if call.tag in tags]:
            dropped += len(self._calls.pop(call_id).held)
        self._total -= dropped
        return dropped

    def _give_up(self, call_id: str, call: _Call[T], reason: str) -> list[Gap]:
        if not call.waiting():
            return []
        lowest = min(call.held)
        gap = Gap(call_id=call_id, start=call.next_seq, end=lowest, reason=reason)
        call.gaps = [*call.gaps, (gap.start, gap.end)][-_MAX_GAPS_KEPT:]
        call.next_seq = lowest
        return [gap]

    def _trim_idle(self) -> None:
        if len(self._calls) <= self._max_idle:
            return
        for call_id in [c for c, call in self._calls.items() if not call.held]:
            if len(self._calls) <= self._max_idle:
                break
            del self._calls[call_id]


def next_seq_after(processed: Collection[int]) -> int:
    """The next expected seq of a call that already processed `processed`."""
    return max(processed) + 1 if processed else 0


@dataclass(slots=True)
class ReorderStats:
    """Counters for metrics and tests."""

    held: int = 0
    released: int = 0
    dropped_copies: int = 0
    duplicates: int = 0
    late: int = 0
    gaps: int = 0
    missing: int = 0
    failed: int = 0


class ReorderingHandler:
    """A StageHandler that feeds the inner handler each call's utterances in seq order.

    Args:
        inner: The wrapped handler (the agent's); its name and sources are kept.
        expected_seq: Next expected seq of a call this worker has not seen yet, from
            durable state; raising a transient error there is retried by the runner.
        window_s: How long a later utterance waits for the missing ones.
        max_per_call: Utterances held per call.
        max_total: Utterances held in all.
        on_gap: Called for every gap (e.g. to write the audit log); its errors are logged.
        monotonic: The clock `tick` and holds are measured on.
    """

    def __init__(
        self,
        inner: StageHandler,
        *,
        expected_seq: Callable[[str], int],
        window_s: float = 5.0,
        max_per_call: int = 256,
        max_total: int = 10_000,
        on_gap: Callable[[Gap], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.sources: tuple[Topic, ...] = inner.sources
        self._expected = expected_seq
        self._buffer: ReorderBuffer[Incoming] = ReorderBuffer(
            window_s=window_s, max_per_call=max_per_call, max_total=max_total
        )
        self._on_gap = on_gap
        self._monotonic = monotonic
        self._carry: list[Outgoing] = []
        self.stats = ReorderStats()

    @property
    def buffered(self) -> int:
        """Utterances held right now."""
        return self._buffer.held

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        """Pass, hold or drop one message; release what it unblocks."""
        outputs, self._carry = self._carry, []
        try:
            self._handle(incoming, outputs)
        except BaseException:
            self._carry = outputs  # kept for the retry of this message (or the next call)
            raise
        return outputs

    def handle_many(self, incomings: Sequence[Incoming]) -> Sequence[Outgoing]:
        """A poll batch: in seq order already, the inner handler takes it whole if it can.

        Only when nothing is held and every utterance of the batch is its call's next
        expected one (so `handle` would pass each straight through, in this order and
        releasing nothing) does the batch go to the inner `handle_many`; the buffer
        advances only after it succeeded. Otherwise each message goes through `handle`.
        Either way an error propagates and the runner handles the messages one by one.
        """
        many = getattr(type(self.inner), "handle_many", None)
        if many is None or not self._in_order(incomings):
            outputs: list[Outgoing] = []
            for incoming in incomings:
                outputs += self.handle(incoming)
            return outputs
        outputs, self._carry = self._carry, []
        try:
            outputs += many(self.inner, incomings)
        except BaseException:
            self._carry = outputs
            raise
        for incoming in incomings:
            message = incoming.message
            if isinstance(message, Utterance):
                self._buffer.advance(message.call_id, message.seq)
            elif isinstance(message, CallEnded):
                self._buffer.close(message.call_id)
        return outputs

    def _in_order(self, incomings: Sequence[Incoming]) -> bool:
        """True if nothing is held and each utterance is its call's next expected seq."""
        if self._buffer.held:
            return False
        expected: dict[str, int] = {}
        ended: set[str] = set()
        for incoming in incomings:
            message = incoming.message
            if isinstance(message, CallEnded):
                ended.add(message.call_id)
            if not isinstance(message, Utterance):
                continue
            call_id = message.call_id
            if call_id in ended:
                return False  # a later utterance would open the call again
            if call_id not in expected:
                if not self._buffer.knows(call_id):
                    self._buffer.open(call_id, self._expected(call_id), tag=incoming.partition)
                expected[call_id] = self._buffer.next_seq(call_id) or 0
            if message.seq != expected[call_id]:
                return False
            expected[call_id] += 1
        return True

    def tick(self, now: float) -> Sequence[Outgoing]:
        """Give up on missing utterances whose window passed, then tick the inner handler."""
        outputs, self._carry = self._carry, []
        gaps = self._buffer.expire(now)
        self._report(gaps)
        try:
            self._release(self._buffer.ready_calls(), outputs)
        except Exception as error:  # transient: the rest is released on a later call
            self._carry = outputs
            _log.warning("releasing held utterances failed, will retry: %r", error)
            return []
        return [*outputs, *self.inner.tick(now)]

    def safe_offset(self, partition: int) -> int | None:
        """The inner handler's, or the lowest offset still held on `partition`."""
        held = self._buffer.items()
        offsets = [item.offset for _, _, item in held if item.partition == partition]
        inner = self.inner.safe_offset(partition)
        if inner is not None:
            offsets.append(inner)
        return min(offsets) if offsets else None

    def revoke(self, partitions: Collection[int]) -> None:
        """Forget held utterances and call positions of lost partitions; tell the inner one."""
        dropped = self._buffer.forget(partitions)
        if dropped:
            _log.info("reorder: dropped %d held utterance(s) of revoked partitions", dropped)
        self.inner.revoke(partitions)

    def _handle(self, incoming: Incoming, outputs: list[Outgoing]) -> None:
        message = incoming.message
        if not isinstance(message, Utterance):
            outputs += self.inner.handle(incoming)
            if isinstance(message, CallEnded):
                self._buffer.close(message.call_id)
            return
        call_id, seq = message.call_id, message.seq
        if not self._buffer.knows(call_id):
            self._buffer.open(call_id, self._expected(call_id), tag=incoming.partition)
        arrival = self._buffer.classify(call_id, seq)
        if arrival is Arrival.HELD:
            self.stats.dropped_copies += 1
        elif arrival is Arrival.AHEAD:
            self.stats.held += 1
            gaps = self._buffer.hold(call_id, seq, incoming, self._monotonic())
            self._report(gaps)
            self._release({gap.call_id for gap in gaps}, outputs)
        elif arrival is Arrival.NEXT:
            outputs += self.inner.handle(incoming)
            self._buffer.advance(call_id, seq)
            self._release({call_id}, outputs)
        else:
            if arrival is Arrival.LATE:
                self.stats.late += 1
                _log.warning("call %s: utterance %d arrived after its gap was declared",
                             call_id, seq)  # fmt: skip
            else:
                self.stats.duplicates += 1
            outputs += self.inner.handle(incoming)
            self._release({call_id}, outputs)  # left ready by an earlier failed release

    def _release(self, call_ids: Collection[str], outputs: list[Outgoing]) -> None:
        """Hand every unblocked held utterance to the inner handler, in seq order.

        A transient error propagates (what was released before it stays in `outputs`); any
        other error of a held utterance is logged and counted, and the call moves on: that
        utterance's own offset was already read, so there is no record to dead-letter.
        """
        for call_id in sorted(call_ids):
            while (ready := self._buffer.peek_ready(call_id)) is not None:
                seq, item = ready
                try:
                    outputs += self.inner.handle(item)
                except Exception as error:
                    if is_transient(error):
                        raise
                    self.stats.failed += 1
                    _log.error("call %s: held utterance %d failed and is skipped: %r",
                               call_id, seq, error)  # fmt: skip
                self._buffer.pop(call_id, seq)
                self.stats.released += 1

    def _report(self, gaps: Sequence[Gap]) -> None:
        for gap in gaps:
            self.stats.gaps += 1
            self.stats.missing += gap.missing
            REORDER_GAPS.labels(self.name, gap.reason).inc()
            REORDER_MISSING.labels(self.name).inc(gap.missing)
            _log.warning("call %s: utterances %d..%d never arrived (%s); going on without them",
                         gap.call_id, gap.start, gap.end - 1, gap.reason)  # fmt: skip
            if self._on_gap is not None:
                try:
                    self._on_gap(gap)
                except Exception as error:  # the gap is logged and counted either way
                    _log.warning("recording the gap of call %s failed: %r", gap.call_id, error)
