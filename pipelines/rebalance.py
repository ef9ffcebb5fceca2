"""Rebalance hooks: tell the handler what it lost, rewind partitions that come straight back."""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition

from pipelines.offsets import OffsetTracker, PartitionKey
from pipelines.stage import StageHandler

__all__ = ["StageRebalanceListener", "rewind_to_committed"]

log = logging.getLogger(__name__)


class StageRebalanceListener(ConsumerRebalanceListener):  # type: ignore[misc]
    """Keeps the handler, the offset tracker and the consumer position consistent.

    kafka-python runs these callbacks on its IO thread while the stage thread is blocked
    in poll() or close(), after the stage committed everything it safely could at the end
    of its last batch, so revoking only has to drop state. Because the handler forgets a
    revoked partition's state, a partition assigned straight back must be re-read from its
    committed offset (kafka-python would otherwise keep its fetch position); the stage
    thread does that rewind after poll() returns, where blocking calls are allowed.

    Args:
        handler: The stage's handler.
        tracker: The stage's offset tracker.
        ready: Set once the first assignment arrives (the consumer joined its group).
    """

    def __init__(
        self, handler: StageHandler, tracker: OffsetTracker, ready: threading.Event | None
    ) -> None:
        self._handler = handler
        self._tracker = tracker
        self._ready = ready
        self._lock = threading.Lock()
        self._revoked: set[TopicPartition] = set()
        self._rewind: set[TopicPartition] = set()

    def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        """Forget revoked partitions in the handler and the tracker."""
        if not revoked:
            return
        log.info("stage %s: partitions revoked: %s", self._handler.name, _names(revoked))
        self._handler.revoke({tp.partition for tp in revoked})
        self._tracker.forget(PartitionKey(tp.topic, tp.partition) for tp in revoked)
        with self._lock:
            self._revoked |= set(revoked)

    def on_partitions_lost(self, lost: Collection[TopicPartition]) -> None:
        """Evicted from the group: same clean-up, nothing can be committed any more."""
        self.on_partitions_revoked(lost)

    def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        """Note partitions to rewind and signal readiness."""
        log.info("stage %s: partitions assigned: %s", self._handler.name, _names(assigned))
        with self._lock:
            self._rewind |= self._revoked & set(assigned)
            self._revoked.clear()
        if self._ready is not None:
            self._ready.set()

    def take_rewinds(self) -> set[TopicPartition]:
        """Partitions to seek back to their committed offsets (called by the stage thread)."""
        with self._lock:
            rewind, self._rewind = self._rewind, set()
        return rewind


def rewind_to_committed(
    consumer: KafkaConsumer, partitions: set[TopicPartition]
) -> set[TopicPartition]:
    """Seek each partition to its committed offset (or the beginning); return them."""
    for tp in partitions:
        committed = consumer.committed(tp)
        if committed is None:
            consumer.seek_to_beginning(tp)
        else:
            consumer.seek(tp, committed)
        log.info("%s[%d] will be re-read from offset %s", tp.topic, tp.partition, committed)
    return partitions


def _names(partitions: Collection[TopicPartition]) -> str:
    return ", ".join(sorted(f"{tp.topic}[{tp.partition}]" for tp in partitions)) or "none"
