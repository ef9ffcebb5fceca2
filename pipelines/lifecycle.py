"""A call's lifecycle on the stream: inputs of a call not started yet wait a while for it.

Kafka keeps one producer's messages of a call in order, but a call's start and its first
utterances may come from different producers (an HTTP client posting concurrently, a
CRM that opens calls beside the ASR). So an utterance or end of a call this worker has
never seen start (no CallStarted, no checkpoint) is held for `window_s` (the reorder
window, the same grace utterances get for each other), released in arrival order when
the start comes, and otherwise refused: the agent stage dead-letters it with the reason.
Holding is bounded per call and in all; an input over a bound is refused at once.

`StartGate` is the pure part: no I/O, time passed in; the handler says how to look a
call up in durable state.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from pipelines.stage import Incoming

__all__ = ["CallSeen", "StartGate", "Waiting"]


@dataclass(frozen=True, slots=True)
class CallSeen:
    """A call that started; `ended_with` is its utterance count once it was summarized."""

    ended_with: int | None = None


@dataclass(slots=True)
class Waiting:
    """Inputs of one call that wait for its start, in arrival order."""

    deadline: float
    partition: int
    inputs: list[Incoming] = field(default_factory=list)


class StartGate:
    """Which calls are open on this worker, and what waits for the others to start.

    Args:
        window_s: How long an input of an unknown call waits for the call's start.
        max_per_call: Inputs held for one call; the next one is refused.
        max_total: Inputs held in all; the next one is refused.
        max_known: Open calls remembered (least recently used forgotten, then looked up
            in durable state again when they show up).
    """

    def __init__(self, *, window_s: float, max_per_call: int = 256, max_total: int = 10_000,
                 max_known: int = 10_000) -> None:
        if window_s < 0 or min(max_per_call, max_total, max_known) < 1:
            raise ValueError("start window must be >= 0 and bounds >= 1")
        self.window_s = window_s
        self._max_per_call, self._max_total, self._max_known = max_per_call, max_total, max_known
        self._open: OrderedDict[str, CallSeen] = OrderedDict()
        self._waiting: dict[str, Waiting] = {}
        self._total = 0

    @property
    def held(self) -> int:
        """Inputs waiting for a start right now."""
        return self._total

    def seen(self, call_id: str, lookup: Callable[[str], CallSeen | None]) -> CallSeen | None:
        """A call started here or found in durable state (then remembered); else None."""
        known = self._open.get(call_id)
        if known is not None:
            self._open.move_to_end(call_id)
            return known
        if call_id in self._waiting:
            return None
        known = lookup(call_id)
        if known is not None:
            self._remember(call_id, known)
        return known

    def close(self, call_id: str, utterances: int) -> None:
        """The call was summarized after `utterances` utterances."""
        self._remember(call_id, CallSeen(ended_with=utterances))

    def open(self, call_id: str) -> list[Incoming]:
        """The call started: remember it; returns what waited for it, in arrival order."""
        if call_id not in self._open:
            self._remember(call_id, CallSeen())
        waiting = self._waiting.pop(call_id, None)
        if waiting is None:
            return []
        self._total -= len(waiting.inputs)
        return waiting.inputs

    def hold(self, incoming: Incoming, now: float) -> bool:
        """Hold an input of a call not started; False when a bound refuses it."""
        call_id = incoming.message.call_id
        waiting = self._waiting.get(call_id)
        if self._total >= self._max_total or (
                waiting is not None and len(waiting.inputs) >= self._max_per_call):
            return False
        if waiting is None:
            waiting = self._waiting[call_id] = Waiting(now + self.window_s, incoming.partition)
        waiting.inputs.append(incoming)
        self._total += 1
        return True

    def expire(self, now: float) -> list[Incoming]:
        """Inputs whose call did not start in time, oldest call first; forgotten here."""
        late = sorted((w.deadline, call_id) for call_id, w in self._waiting.items()
                      if w.deadline <= now)
        refused: list[Incoming] = []
        for _, call_id in late:
            waiting = self._waiting.pop(call_id)
            self._total -= len(waiting.inputs)
            refused += waiting.inputs
        return refused

    def safe_offset(self, partition: int) -> int | None:
        """The lowest offset held on `partition` (never commit past it), or None."""
        offsets = [i.offset for w in self._waiting.values() if w.partition == partition
                   for i in w.inputs]
        return min(offsets) if offsets else None

    def revoke(self, partitions: Collection[int]) -> None:
        """Forget what waits on lost partitions; their new owner reads it again."""
        for call_id in [c for c, w in self._waiting.items() if w.partition in partitions]:
            self._total -= len(self._waiting.pop(call_id).inputs)

    def snapshot(self) -> tuple[dict[str, Waiting], int]:
        """What waits now, to put back if a batch fails half way (see `restore`)."""
        return ({c: Waiting(w.deadline, w.partition, list(w.inputs))
                 for c, w in self._waiting.items()}, self._total)

    def restore(self, snapshot: tuple[dict[str, Waiting], int]) -> None:
        """Put back what waited when `snapshot` was taken."""
        waiting, total = snapshot
        self._waiting = {c: Waiting(w.deadline, w.partition, list(w.inputs))
                         for c, w in waiting.items()}
        self._total = total

    def _remember(self, call_id: str, seen: CallSeen) -> None:
        self._open[call_id] = seen
        self._open.move_to_end(call_id)
        while len(self._open) > self._max_known:
            self._open.popitem(last=False)
