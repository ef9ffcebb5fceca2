"""The ingestion publisher waits for each record's own acknowledgement; masking helpers."""

from __future__ import annotations

import pytest
from kafka.errors import KafkaTimeoutError, NotLeaderForPartitionError

from services.api.backends import BackendUnavailable
from services.api.publisher import KafkaEventPublisher, bootstrap_servers
from services.api.read_model import mask_name, mask_phone
from services.schemas import CallStarted, Topic, decode


class _Future:
    def __init__(self, error: Exception | None) -> None:
        self.error = error
        self.timeouts: list[float | None] = []

    def get(self, timeout: float | None = None) -> object:
        self.timeouts.append(timeout)
        if self.error is not None:
            raise self.error
        return object()


class _Producer:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.records: list[tuple[str, bytes, bytes]] = []
        self.futures: list[_Future] = []
        self.closed = False

    def send(self, topic: str, *, key: bytes, value: bytes) -> _Future:
        self.records.append((topic, key, value))
        self.futures.append(_Future(self.error))
        return self.futures[-1]

    def close(self, timeout: float | None = None) -> None:
        self.closed = True


def test_publish_keys_by_call_id_and_waits_for_the_ack() -> None:
    producer = _Producer()
    publisher = KafkaEventPublisher(producer, [], timeout_s=3.0)
    event = CallStarted(call_id="call-1", customer_id="C00001")
    publisher.publish(Topic.TRANSCRIPTS, event)
    ((topic, key, value),) = producer.records
    assert (topic, key) == ("calls.transcripts.v1", b"call-1")
    assert decode(Topic.TRANSCRIPTS, value) == event
    assert producer.futures[0].timeouts == [3.0]


@pytest.mark.parametrize("error", [KafkaTimeoutError(), NotLeaderForPartitionError()])
def test_a_missing_ack_is_backend_unavailable(error: Exception) -> None:
    publisher = KafkaEventPublisher(_Producer(error), [])
    with pytest.raises(BackendUnavailable, match=type(error).__name__):
        publisher.publish(Topic.TRANSCRIPTS, CallStarted(call_id="call-1", customer_id="C1"))


def test_health_probes_the_kafka_protocol_not_just_tcp() -> None:
    publisher = KafkaEventPublisher(_Producer(), [("127.0.0.1", 1)])
    assert publisher.healthy() is False


def test_bootstrap_servers_parse_lists_and_ipv6() -> None:
    assert bootstrap_servers("a:9092, b:9093,[::1]:9094,bad") == [
        ("a", 9092),
        ("b", 9093),
        ("::1", 9094),
    ]


@pytest.mark.parametrize(
    ("name", "masked"), [("김민준", "김*준"), ("이준", "이*"), ("남궁민수", "남**수"), ("K", "*")]
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("010-1234-5678", "010-****-5678"), ("01098765432", "010****5432"), ("02-123", "******")],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked
