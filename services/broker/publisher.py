"""Publish contract messages (keyed by call_id) and raw records; flush() surfaces failures."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from types import TracebackType

from kafka.producer.future import FutureRecordMetadata

from services.broker.clients import make_producer
from services.config import KafkaSettings
from services.schemas import Message, Topic, encode

__all__ = ["PublishError", "Publisher"]

log = logging.getLogger(__name__)

Headers = Sequence[tuple[str, bytes]]

# Headers added to every contract message sent with `send` (tracing's traceparent: see
# services/observability/tracing.py). Registered once per process, at start-up.
HEADER_HOOKS: list[Callable[[Message], Headers]] = []


class PublishError(RuntimeError):
    """At least one record sent since the last flush was not acknowledged by the broker."""


class Publisher:
    """A thread-safe, idempotent producer for the call topics.

    `send` is asynchronous; `flush` blocks until everything sent so far is acknowledged
    (acks=all) and raises PublishError if any record failed, so a caller that commits
    input offsets only after `flush` returns never loses output.

    Args:
        bootstrap: host:port list of the broker in force.
        kafka: Broker settings (security, linger).
        client_id: Name the broker sees for this producer.
    """

    def __init__(self, bootstrap: str, kafka: KafkaSettings, *, client_id: str = "kcall") -> None:
        self._producer = make_producer(kafka, bootstrap, client_id=client_id)
        self._lock = threading.Lock()
        self._failures: list[BaseException] = []
        self._sent = 0

    @property
    def sent(self) -> int:
        """Records handed to the producer since this publisher was made."""
        return self._sent

    def send(self, topic: Topic | str, message: Message) -> None:
        """Queue one message, keyed by its call_id so a call stays on one partition."""
        headers = [header for hook in HEADER_HOOKS for header in hook(message)]
        self.send_raw(
            str(topic), key=message.call_id.encode(), value=encode(message), headers=headers
        )

    def send_raw(
        self, topic: str, *, key: bytes | None, value: bytes | None, headers: Headers = ()
    ) -> None:
        """Queue bytes as they are (used for dead letters, which must stay byte-identical)."""
        future: FutureRecordMetadata = self._producer.send(
            topic, key=key, value=value, headers=list(headers)
        )
        future.add_errback(self._record_failure, topic)
        with self._lock:
            self._sent += 1

    def flush(self, timeout_s: float | None = None) -> None:
        """Block until every queued record is acknowledged; raise PublishError otherwise."""
        self._producer.flush(timeout=timeout_s)
        with self._lock:
            failures, self._failures = self._failures, []
        if failures:
            raise PublishError(
                f"{len(failures)} record(s) not delivered: {failures[0]!r}"
            ) from failures[0]

    def close(self, timeout_s: float = 10.0) -> None:
        """Flush what is queued (best effort) and close the producer."""
        self._producer.close(timeout=timeout_s)

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _record_failure(self, topic: str, error: BaseException) -> None:
        log.error("record to %s not delivered: %r", topic, error)
        with self._lock:
            self._failures.append(error)
