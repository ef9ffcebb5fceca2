"""The one generic stage runner: poll, decode, handle, produce, flush, commit; DLQ; shutdown.

Delivery is at least once. Each cycle polls a batch, hands every record to the handler
(poison -> DLQ at once, other errors retried with backoff, then DLQ), publishes outputs
and tick outputs, flushes the producer, and only then commits, never past the handler's
safe offset. A crash anywhere before the commit means the batch is read again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import (
    CommitFailedError,
    IllegalGenerationError,
    RebalanceInProgressError,
    UnknownMemberIdError,
)
from kafka.structs import OffsetAndMetadata

from pipelines.attempts import Done, Interrupted, call_with_retries
from pipelines.dlq import build_dead_letter
from pipelines.offsets import OffsetTracker, PartitionKey
from pipelines.rebalance import StageRebalanceListener, rewind_to_committed
from pipelines.stage import Incoming, Outgoing, StageHandler
from services.broker import Publisher, consumer_group, make_consumer
from services.config import Settings
from services.schemas import DecodeError, decode

__all__ = ["StageStats", "run_stage"]

log = logging.getLogger(__name__)

# A commit that loses a race with a rebalance is harmless: the new owner re-reads from
# the last committed offset and every effect is idempotent.
_STALE_MEMBER_ERRORS = (
    CommitFailedError,
    IllegalGenerationError,
    RebalanceInProgressError,
    UnknownMemberIdError,
)


@dataclass(slots=True)
class StageStats:
    """Counters of one run_stage call."""

    consumed: int = 0
    produced: int = 0
    dlq: int = 0
    retries: int = 0


def run_stage(
    handler: StageHandler,
    *,
    bootstrap: str,
    settings: Settings,
    stop: threading.Event,
    ready: threading.Event | None = None,
) -> StageStats:
    """Run `handler` as a member of consumer group `<group_prefix>.<handler.name>` until `stop`.

    On stop the current batch is finished, flushed and committed, then the consumer
    leaves its group. Publish or unexpected commit errors propagate (nothing more is
    committed, so the batch is redelivered).

    Args:
        handler: The stage's logic.
        bootstrap: host:port list of the broker.
        settings: Settings; `settings.kafka` tunes the clients, retries and polling.
        stop: Set it (from any thread or a signal handler) to shut down cleanly.
        ready: Set once the consumer has joined its group and received partitions.
    """
    if not handler.sources:
        raise ValueError(f"stage {handler.name} has no source topics")
    loop = _StageLoop(handler, bootstrap=bootstrap, settings=settings, stop=stop, ready=ready)
    return loop.run()


class _StageLoop:
    """State of one running stage: clients, offset tracker, counters."""

    def __init__(
        self,
        handler: StageHandler,
        *,
        bootstrap: str,
        settings: Settings,
        stop: threading.Event,
        ready: threading.Event | None,
    ) -> None:
        self._handler = handler
        self._kafka = settings.kafka
        self._stop = stop
        self._ready = ready
        self._bootstrap = bootstrap
        self._tracker = OffsetTracker()
        self._stats = StageStats()

    def run(self) -> StageStats:
        kafka = self._kafka
        group = consumer_group(kafka, self._handler.name)
        publisher = Publisher(self._bootstrap, kafka, client_id=f"kcall-{self._handler.name}")
        try:
            consumer = make_consumer(kafka, self._bootstrap, stage=self._handler.name)
        except BaseException:
            publisher.close()
            raise
        listener = StageRebalanceListener(self._handler, self._tracker, self._ready)
        try:
            consumer.subscribe(topics=[str(t) for t in self._handler.sources], listener=listener)
            log.info("stage %s joining group %s", self._handler.name, group)
            while not self._stop.is_set():
                self._cycle(consumer, publisher, listener)
        finally:
            # enable_auto_commit is off, so close() commits nothing; it leaves the group.
            consumer.close(autocommit=False)
            publisher.close()
        log.info("stage %s stopped: %s", self._handler.name, self._stats)
        return self._stats

    def _cycle(
        self, consumer: KafkaConsumer, publisher: Publisher, listener: StageRebalanceListener
    ) -> None:
        batch: dict[TopicPartition, list[ConsumerRecord]] = consumer.poll(
            timeout_ms=self._kafka.poll_timeout_ms
        )
        rewound = rewind_to_committed(consumer, listener.take_rewinds())
        self._handle_batch(batch, rewound, publisher)
        self._publish(publisher, self._handler.tick(time.monotonic()))
        publisher.flush()
        self._commit(consumer)

    def _handle_batch(
        self,
        batch: dict[TopicPartition, list[ConsumerRecord]],
        rewound: set[TopicPartition],
        publisher: Publisher,
    ) -> None:
        for tp, records in batch.items():
            if tp in rewound:
                continue  # these are read again from the committed offset
            for record in records:
                if not self._process(record, publisher):
                    return  # stop was requested while a record waited for its retry

    def _process(self, record: ConsumerRecord, publisher: Publisher) -> bool:
        """Handle one record; False means stop interrupted it (left uncommitted)."""
        self._stats.consumed += 1
        try:
            message = decode(record.topic, record.value)
        except DecodeError as error:
            self._dead_letter(publisher, record, error, attempts=0)
        else:
            incoming = Incoming(message=message, partition=record.partition, offset=record.offset)
            if not self._handle(incoming, record, publisher):
                return False
        self._tracker.handled(PartitionKey(record.topic, record.partition), record.offset)
        return True

    def _handle(self, incoming: Incoming, record: ConsumerRecord, publisher: Publisher) -> bool:
        outcome = call_with_retries(
            lambda: self._handler.handle(incoming),
            max_attempts=self._kafka.max_attempts,
            base_backoff_s=self._kafka.retry_backoff_ms / 1000,
            wait=self._stop.wait,
            what=f"{self._handler.name} {record.topic}[{record.partition}]@{record.offset}",
        )
        self._stats.retries += outcome.attempts - 1
        if isinstance(outcome, Interrupted):
            return False
        if isinstance(outcome, Done):
            self._publish(publisher, outcome.outputs)
        else:
            self._dead_letter(publisher, record, outcome.error, attempts=outcome.attempts)
        return True

    def _publish(self, publisher: Publisher, outputs: Iterable[Outgoing]) -> None:
        for output in outputs:
            publisher.send(output.topic, output.message)
            self._stats.produced += 1

    def _dead_letter(
        self, publisher: Publisher, record: ConsumerRecord, error: Exception, *, attempts: int
    ) -> None:
        letter = build_dead_letter(
            stage=self._handler.name,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            headers=record.headers or [],
            error=error,
            attempts=attempts,
        )
        log.error(
            "stage %s: %s[%d]@%d -> %s after %d attempt(s): %r",
            self._handler.name, record.topic, record.partition, record.offset,
            letter.topic, attempts, error,
        )  # fmt: skip
        publisher.send_raw(letter.topic, key=letter.key, value=letter.value, headers=letter.headers)
        self._stats.dlq += 1

    def _commit(self, consumer: KafkaConsumer) -> None:
        due = self._tracker.due(self._handler.safe_offset)
        if not due:
            return
        offsets = {
            TopicPartition(key.topic, key.partition): OffsetAndMetadata(offset, "", -1)
            for key, offset in due.items()
        }
        try:
            consumer.commit(offsets)
        except _STALE_MEMBER_ERRORS as error:
            log.warning("stage %s: commit lost to a rebalance: %r", self._handler.name, error)
            return
        self._tracker.committed(due)
