"""The ingestion publisher: each event is acknowledged by the broker before the API answers.

Why per-record futures and not `services.broker.Publisher.flush()`: the API sends from
many request threads at once on one producer. `flush()` waits for everyone's records and
reports failures for the whole producer, so one request could pick up (and swallow)
another's failure and answer 202 for an event the broker never took. Waiting on the
record's own future ties each answer to its own acknowledgement, and concurrent requests
still share the producer's batches.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Protocol

from kafka.errors import KafkaError

from services.api.backends import BackendUnavailable
from services.api.telemetry import PUBLISH_SECONDS, PUBLISHED
from services.broker import answers_kafka
from services.schemas import Message, Topic, encode

__all__ = ["PUBLISH_TIMEOUT_S", "KafkaEventPublisher", "bootstrap_servers"]

log = logging.getLogger(__name__)

# An HTTP client would rather hear 503 and retry than hang for the producer's
# two-minute delivery timeout; ingestion is idempotent downstream (seq, message id).
PUBLISH_TIMEOUT_S = 10.0


class _Acknowledgement(Protocol):
    def get(self, timeout: float | None = None) -> object: ...


class _Producer(Protocol):
    def send(self, topic: str, *, key: bytes, value: bytes) -> _Acknowledgement: ...

    def close(self, timeout: float | None = None) -> None: ...


def bootstrap_servers(bootstrap: str) -> list[tuple[str, int]]:
    """The (host, port) pairs of a `host:port,host:port` bootstrap list."""
    servers = []
    for item in bootstrap.split(","):
        host, _, port = item.strip().rpartition(":")
        if host and port.isdigit():
            servers.append((host.strip("[]"), int(port)))
    return servers


class KafkaEventPublisher:
    """EventPublisher on a kafka-python producer (idempotent, acks=all).

    Args:
        producer: The producer, e.g. `services.broker.make_producer(...)`; closed by `close`.
        servers: Broker addresses the readiness probe asks (Kafka ApiVersions).
        timeout_s: Longest wait for one acknowledgement before answering 503.
    """

    def __init__(
        self,
        producer: _Producer,
        servers: Sequence[tuple[str, int]],
        *,
        timeout_s: float = PUBLISH_TIMEOUT_S,
    ) -> None:
        self._producer = producer
        self._servers = list(servers)
        self._timeout_s = timeout_s

    def publish(self, topic: Topic, message: Message) -> None:
        """Send keyed by call_id and wait for this record's acknowledgement."""
        started = time.perf_counter()
        try:
            future = self._producer.send(
                str(topic), key=message.call_id.encode(), value=encode(message)
            )
            future.get(timeout=self._timeout_s)
        except KafkaError as exc:
            PUBLISHED.labels(str(topic), "failed").inc()
            log.warning("publish to %s failed: %r", topic, exc)
            reason = f"broker did not acknowledge: {type(exc).__name__}"
            raise BackendUnavailable(f"브로커가 이벤트를 받지 못했습니다 ({reason})") from exc
        PUBLISHED.labels(str(topic), "acked").inc()
        PUBLISH_SECONDS.labels(str(topic)).observe(time.perf_counter() - started)

    def healthy(self) -> bool:
        """Whether any bootstrap server answers the Kafka protocol."""
        return any(answers_kafka(host, port) for host, port in self._servers)

    def close(self, timeout_s: float = 10.0) -> None:
        """Close the producer (what is queued gets `timeout_s` to go out)."""
        self._producer.close(timeout=timeout_s)
