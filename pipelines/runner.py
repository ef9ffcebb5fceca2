"""The one generic stage runner: poll, decode, handle, produce, flush, commit; DLQ; shutdown.

Delivery is at least once. Each cycle polls a batch (at most `max_poll_records`), hands
every record to the handler (poison -> DLQ at once; a database that is unavailable is
waited for, never dead-lettered; other errors retried with backoff, then DLQ), publishes
outputs and tick outputs, flushes the producer, and only then commits, never past the
handler's safe offset. A crash anywhere before the commit means the batch is read again.

Batches: a handler with `handle_many` (see pipelines.stage.BatchHandler) is offered each
partition's decoded records of a poll at once (decode errors are dead-lettered first). If
it raises, the runner handles those same records one by one through `handle` (retries,
outage waits, DLQ per record), so a bad record is still blamed alone. Nothing is rewound:
whatever the failed batch already did is done again by the one-by-one pass, which is safe
because every effect is idempotent (the same rule that makes redelivery safe), and its
outputs were never published (they are published only when `handle_many` returns).

Broker outages: kafka-python reconnects by itself; a batch whose output the producer could
not deliver (its delivery timeout passed, or the broker lost the producer's id) is not
committed: the stage drops the handler's in-memory state as on a rebalance, rewinds to the
committed offsets, builds a new producer (retrying with backoff while the broker is away)
and goes on. Stop is honoured within about a second even then.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import (
    CommitFailedError,
    IllegalGenerationError,
    KafkaError,
    KafkaTimeoutError,
    RebalanceInProgressError,
    UnknownMemberIdError,
)
from kafka.structs import OffsetAndMetadata

from pipelines.attempts import Done, Failed, Interrupted, backoff_delay, call_with_retries
from pipelines.dlq import build_dead_letter
from pipelines.metrics import (
    BROKER_OUTAGES,
    CONSUMER_LAG,
    DLQ_MESSAGES,
    HELD_MESSAGES,
    STAGE_MESSAGES,
    TRANSIENT_WAITS,
)
from pipelines.offsets import OffsetTracker, PartitionKey
from pipelines.rebalance import StageRebalanceListener, rewind_to_committed
from pipelines.stage import (
    BatchHandler,
    Incoming,
    Outgoing,
    PoisonMessage,
    Refusal,
    StageHandler,
)
from pipelines.transient import is_transient
from services.broker import Publisher, PublishError, consumer_group, make_consumer
from services.config import Settings
from services.schemas import DecodeError, decode, encode

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
# Longest wait between attempts to reach a broker or database that is away.
_MAX_OUTAGE_BACKOFF_S = 10.0
_FLUSH_SLICE_S = 1.0
_LAG_EVERY_S = 5.0


@dataclass(slots=True)
class StageStats:
    """Counters of one run_stage call."""

    consumed: int = 0
    produced: int = 0
    dlq: int = 0
    retries: int = 0
    transient_waits: int = 0
    broker_recoveries: int = 0


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
    leaves its group. Undelivered output rewinds the stage to its committed offsets with
    a new producer; a commit that fails is retried on the next cycle. What still
    propagates (a handler's non-Exception, a tick's non-transient error) leaves the
    batch uncommitted, so it is redelivered.

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
        self._name = handler.name
        self._kafka = settings.kafka
        self._stop = stop
        self._ready = ready
        self._bootstrap = bootstrap
        self._tracker = OffsetTracker()
        self._stats = StageStats()
        self._publisher: Publisher | None = None
        self._lag_at = 0.0
        # Only a method of the handler's own class counts: a wrapper that forwards unknown
        # attributes (tracing) must not have its per-message work bypassed.
        self._many = handler if isinstance(handler, BatchHandler) and callable(
            getattr(type(handler), "handle_many", None)) else None

    def run(self) -> StageStats:
        kafka = self._kafka
        group = consumer_group(kafka, self._name)
        self._publisher = self._new_publisher()
        if self._publisher is None:
            return self._stats  # stopped before the broker answered
        try:
            consumer = make_consumer(kafka, self._bootstrap, stage=self._name)
        except BaseException:
            self._publisher.close()
            raise
        listener = StageRebalanceListener(self._handler, self._tracker, self._ready)
        try:
            consumer.subscribe(topics=[str(t) for t in self._handler.sources], listener=listener)
            log.info("stage %s joining group %s", self._name, group)
            while not self._stop.is_set():
                self._cycle(consumer, listener)
        finally:
            # enable_auto_commit is off, so close() commits nothing; it leaves the group.
            consumer.close(autocommit=False)
            if self._publisher is not None:
                self._publisher.close()
        log.info("stage %s stopped: %s", self._name, self._stats)
        return self._stats

    def _cycle(self, consumer: KafkaConsumer, listener: StageRebalanceListener) -> None:
        publisher = self._publisher
        assert publisher is not None
        batch: dict[TopicPartition, list[ConsumerRecord]] = consumer.poll(
            timeout_ms=self._kafka.poll_timeout_ms
        )
        try:
            rewound = rewind_to_committed(consumer, listener.take_rewinds())
            self._handle_batch(batch, rewound, publisher)
            self._publish(publisher, self._tick())
            if not self._flush(publisher):
                return  # stop requested while the broker was away: commit nothing
        except (PublishError, KafkaError) as error:
            self._recover(consumer, error)
            return
        self._commit(consumer)
        self._export_gauges(consumer)

    def _handle_batch(
        self,
        batch: dict[TopicPartition, list[ConsumerRecord]],
        rewound: set[TopicPartition],
        publisher: Publisher,
    ) -> None:
        for tp, records in batch.items():
            if tp in rewound:
                continue  # these are read again from the committed offset
            if self._many is not None and len(records) > 1:
                if not self._process_many(self._many, records, publisher):
                    return
                continue
            for record in records:
                if not self._process(record, publisher):
                    return  # stop was requested while a record waited for its retry

    def _process_many(
        self, handler: BatchHandler, records: list[ConsumerRecord], publisher: Publisher
    ) -> bool:
        """Handle one partition's records as a batch, else one by one; False: stopped."""
        decoded = [(incoming, record) for record in records
                   if (incoming := self._decode(record, publisher)) is not None]
        try:
            outputs = handler.handle_many([incoming for incoming, _ in decoded]) if decoded else []
        except Exception as error:
            log.warning("stage %s: batch of %d failed (%r); handling them one by one",
                        self._name, len(decoded), error)  # fmt: skip
            for incoming, record in decoded:
                if not self._handle(incoming, record, publisher):
                    return False
                self._tracker.handled(PartitionKey(record.topic, record.partition),
                                      record.offset)
        else:
            self._publish(publisher, outputs)
        for record in records:
            self._tracker.handled(PartitionKey(record.topic, record.partition), record.offset)
        return True

    def _process(self, record: ConsumerRecord, publisher: Publisher) -> bool:
        """Handle one record; False means stop interrupted it (left uncommitted)."""
        incoming = self._decode(record, publisher)
        if incoming is not None and not self._handle(incoming, record, publisher):
            return False
        self._tracker.handled(PartitionKey(record.topic, record.partition), record.offset)
        return True

    def _decode(self, record: ConsumerRecord, publisher: Publisher) -> Incoming | None:
        """Count the record consumed and decode it; None: undecodable, dead-lettered."""
        self._stats.consumed += 1
        STAGE_MESSAGES.labels(self._name, "consumed").inc()
        try:
            message = decode(record.topic, record.value)
        except DecodeError as error:
            self._dead_letter(publisher, record, error, attempts=0)
            return None
        return Incoming(message=message, partition=record.partition, offset=record.offset,
                        headers=tuple(record.headers or ()))

    def _handle(self, incoming: Incoming, record: ConsumerRecord, publisher: Publisher) -> bool:
        what = f"{self._name} {record.topic}[{record.partition}]@{record.offset}"
        waits = 0
        while True:
            outcome = call_with_retries(
                lambda: self._handler.handle(incoming),
                max_attempts=self._kafka.max_attempts,
                base_backoff_s=self._kafka.retry_backoff_ms / 1000,
                wait=self._stop.wait,
                what=what,
            )
            self._retried(outcome.attempts - 1)
            if not (isinstance(outcome, Failed) and self._is_outage(outcome.error)):
                break
            # The database is away: wait for it as long as it takes, never dead-letter.
            waits += 1
            self._stats.transient_waits += 1
            TRANSIENT_WAITS.labels(self._name).inc()
            delay = backoff_delay(waits, self._kafka.retry_backoff_ms / 1000, _MAX_OUTAGE_BACKOFF_S)
            log.warning("%s: database unavailable (%r); waiting %.1f s", what, outcome.error, delay)
            if self._stop.wait(delay):
                return False
        if isinstance(outcome, Interrupted):
            return False
        if isinstance(outcome, Done):
            self._publish(publisher, outcome.outputs)
        else:
            self._dead_letter(publisher, record, outcome.error, attempts=outcome.attempts)
        return True

    @staticmethod
    def _is_outage(error: Exception) -> bool:
        return not isinstance(error, PoisonMessage) and is_transient(error)

    def _retried(self, count: int) -> None:
        if count > 0:
            self._stats.retries += count
            STAGE_MESSAGES.labels(self._name, "retry").inc(count)

    def _tick(self) -> Sequence[Outgoing]:
        try:
            return self._handler.tick(time.monotonic())
        except Exception as error:
            if not is_transient(error):
                raise
            log.warning("stage %s: tick postponed, database unavailable: %r", self._name, error)
            return []

    def _publish(self, publisher: Publisher, outputs: Iterable[Outgoing]) -> None:
        for output in outputs:
            if output.refused is not None:
                self._dead_letter(publisher, _refused_record(output, output.refused),
                                  PoisonMessage(output.refused.reason), attempts=1)
                continue
            publisher.send(output.topic, output.message)
            self._stats.produced += 1
            STAGE_MESSAGES.labels(self._name, "produced").inc()

    def _flush(self, publisher: Publisher) -> bool:
        """Flush in short slices so stop is noticed; False if stop came first."""
        while True:
            try:
                publisher.flush(timeout_s=_FLUSH_SLICE_S)
                return True
            except KafkaTimeoutError:
                if self._stop.is_set():
                    log.warning("stage %s: stopping with undelivered output; nothing committed",
                                self._name)  # fmt: skip
                    return False

    def _dead_letter(
        self,
        publisher: Publisher,
        record: ConsumerRecord | _RefusedRecord,
        error: Exception,
        *,
        attempts: int,
    ) -> None:
        letter = build_dead_letter(
            stage=self._name,
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
            self._name, record.topic, record.partition, record.offset,
            letter.topic, attempts, error,
        )  # fmt: skip
        publisher.send_raw(letter.topic, key=letter.key, value=letter.value, headers=letter.headers)
        self._stats.dlq += 1
        STAGE_MESSAGES.labels(self._name, "dlq").inc()
        DLQ_MESSAGES.labels(self._name, letter.topic).inc()

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
            log.warning("stage %s: commit lost to a rebalance: %r", self._name, error)
            return
        except KafkaError as error:  # broker away: the next cycle commits again
            log.warning("stage %s: commit failed, will retry: %r", self._name, error)
            return
        self._tracker.committed(due)

    def _recover(self, consumer: KafkaConsumer, error: BaseException) -> None:
        """Output was lost: forget in-memory state, rewind to committed, new producer."""
        self._stats.broker_recoveries += 1
        BROKER_OUTAGES.labels(self._name).inc()
        log.warning("stage %s: output not delivered (%r); rewinding to the committed offsets",
                    self._name, error)  # fmt: skip
        assigned: set[TopicPartition] = set(consumer.assignment())
        self._handler.revoke({tp.partition for tp in assigned})
        self._tracker.forget(PartitionKey(tp.topic, tp.partition) for tp in assigned)
        old, self._publisher = self._publisher, None
        if old is not None:
            self._discard(old)
        self._publisher = self._new_publisher()
        attempt = 0
        while self._publisher is not None and not self._stop.is_set():
            try:
                rewind_to_committed(consumer, assigned)
                return
            except KafkaError as rewind_error:
                attempt += 1
                delay = backoff_delay(attempt, 0.5, _MAX_OUTAGE_BACKOFF_S)
                log.warning("stage %s: cannot read committed offsets yet (%r); retry in %.1f s",
                            self._name, rewind_error, delay)  # fmt: skip
                self._stop.wait(delay)

    def _discard(self, publisher: Publisher) -> None:
        """Close a producer whose output is not committed anyway.

        kafka-python's close() flushes first and raises if that times out (leaving its
        sender thread running), so wait in slices until the pending records expired
        (at most the delivery timeout) or stop is requested.
        """
        while True:
            try:
                publisher.close(timeout_s=_FLUSH_SLICE_S)
                return
            except KafkaError as error:
                if self._stop.is_set():
                    log.warning("stage %s: old producer abandoned: %r", self._name, error)
                    return

    def _new_publisher(self) -> Publisher | None:
        """A producer, retried with backoff while no broker answers; None if stopped."""
        attempt = 0
        while True:
            try:
                return Publisher(self._bootstrap, self._kafka, client_id=f"kcall-{self._name}")
            except KafkaError as error:
                attempt += 1
                delay = backoff_delay(attempt, 0.5, _MAX_OUTAGE_BACKOFF_S)
                log.warning("stage %s: no producer yet (%r); retry in %.1f s",
                            self._name, error, delay)  # fmt: skip
                if self._stop.wait(delay):
                    return None

    def _export_gauges(self, consumer: KafkaConsumer) -> None:
        held = _buffered(self._handler)
        if held is not None:
            HELD_MESSAGES.labels(self._name).set(held)
        now = time.monotonic()
        if now - self._lag_at < _LAG_EVERY_S:
            return
        self._lag_at = now
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            position = self._tracker.position(PartitionKey(tp.topic, tp.partition))
            if highwater is not None and position is not None:
                lag = max(0, highwater - position)
                CONSUMER_LAG.labels(self._name, tp.topic, str(tp.partition)).set(lag)


@dataclass(frozen=True, slots=True)
class _RefusedRecord:
    """What `_dead_letter` reads of a record, for an input a handler held and refused."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def _refused_record(output: Outgoing, refused: Refusal) -> _RefusedRecord:
    # Re-encoded: a message that decoded encodes back the same way.
    return _RefusedRecord(str(output.topic), refused.partition, refused.offset,
                          output.message.call_id.encode(), encode(output.message),
                          list(refused.headers))


def _buffered(handler: object) -> int | None:
    """Messages a handler holds (`buffered`), looked up through wrappers (`inner`)."""
    current: object | None = handler
    for _ in range(8):  # wrappers: metrics, tracing, reordering
        if current is None:
            return None
        held = getattr(current, "buffered", None)
        if isinstance(held, int):
            return held
        current = getattr(current, "inner", None)
    return None
