"""Which offsets a stage may commit: handled so far, never past what the handler still needs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

__all__ = ["OffsetTracker", "PartitionKey"]


class PartitionKey(NamedTuple):
    """A topic partition (same shape as kafka.TopicPartition, without the dependency)."""

    topic: str
    partition: int


class OffsetTracker:
    """Per-partition positions (next offset to read) and what was committed.

    Commit targets follow Kafka's convention: the offset of the next record to read.
    """

    def __init__(self) -> None:
        self._positions: dict[PartitionKey, int] = {}
        self._committed: dict[PartitionKey, int] = {}

    def handled(self, key: PartitionKey, offset: int) -> None:
        """Record that `offset` is done with (output queued, or dead-lettered)."""
        self._positions[key] = max(self._positions.get(key, 0), offset + 1)

    def position(self, key: PartitionKey) -> int | None:
        """Next offset to read on `key`, or None when nothing was handled there."""
        return self._positions.get(key)

    def due(self, safe_offset: Callable[[int], int | None]) -> dict[PartitionKey, int]:
        """Offsets to commit now: min(position, handler's safe offset), only if they moved on.

        Args:
            safe_offset: The handler's lowest still-needed offset per partition number
                (None = no constraint).
        """
        due: dict[PartitionKey, int] = {}
        for key, position in self._positions.items():
            target = position
            safe = safe_offset(key.partition)
            if safe is not None:
                target = min(target, safe)
            if target > self._committed.get(key, -1):
                due[key] = target
        return due

    def committed(self, offsets: dict[PartitionKey, int]) -> None:
        """Record a successful commit."""
        self._committed.update(offsets)

    def forget(self, keys: Iterable[PartitionKey]) -> None:
        """Drop partitions this worker no longer owns."""
        for key in keys:
            self._positions.pop(key, None)
            self._committed.pop(key, None)
