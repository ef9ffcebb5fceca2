"""One utterance order per call across channels, by start time, released as soon as it is final."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Mapping, Sequence
from typing import Generic, TypeVar

__all__ = ["UtteranceOrderer"]

T = TypeVar("T")


class UtteranceOrderer(Generic[T]):
    """Merges finished utterances of several channels into start-time order.

    An utterance is released only when no other channel can still produce one that starts
    earlier: that channel's horizon (the earliest start it may still emit; infinity once it
    has ended) has moved past this start. Ties go to the channel listed first.
    """

    def __init__(self, channels: Sequence[str]) -> None:
        self._rank = {name: rank for rank, name in enumerate(channels)}
        self._heap: list[tuple[int, int, int, str, T]] = []
        self._counter = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, channel: str, start: int, item: T) -> None:
        """Queue a finished utterance of `channel` starting at `start` (any unit)."""
        heapq.heappush(self._heap, (start, self._rank[channel], next(self._counter), channel, item))

    def release(self, horizons: Mapping[str, float]) -> list[T]:
        """Items that are now final, in order; `horizons` maps every channel to its horizon."""
        out: list[T] = []
        while self._heap:
            start, rank, _, channel, item = self._heap[0]
            for other, other_rank in self._rank.items():
                if other == channel:
                    continue
                horizon = horizons.get(other, 0.0)
                # Equal start on a lower-ranked channel would sort after us, so it may pass.
                if horizon < start or (horizon == start and other_rank < rank):
                    return out
            heapq.heappop(self._heap)
            out.append(item)
        return out

    def drain(self) -> list[T]:
        """Everything left, in order (every channel has ended)."""
        return [heapq.heappop(self._heap)[4] for _ in range(len(self._heap))]
