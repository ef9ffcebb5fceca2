"""kafka-python client factories built from KafkaSettings (plaintext, TLS or SASL)."""

from __future__ import annotations

from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from services.config import KafkaSettings
from services.schemas.limits import (
    CONSUMER_MAX_PARTITION_FETCH_BYTES,
    PRODUCER_MAX_REQUEST_BYTES,
)

__all__ = ["client_config", "consumer_group", "make_admin", "make_consumer", "make_producer"]

_PROTOCOLS = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}


def client_config(kafka: KafkaSettings, bootstrap: str, *, client_id: str) -> dict[str, Any]:
    """Connection options shared by producers, consumers and the admin client.

    Args:
        kafka: Broker settings (security protocol, SASL credentials, CA file).
        bootstrap: Comma-separated host:port list actually in force (may be the embedded one).
        client_id: Name the broker logs and quotas see for this client.
    """
    protocol = kafka.security_protocol.upper()
    if protocol not in _PROTOCOLS:
        raise ValueError(f"unsupported Kafka security_protocol {kafka.security_protocol!r}")
    config: dict[str, Any] = {
        "bootstrap_servers": [server.strip() for server in bootstrap.split(",") if server.strip()],
        "client_id": client_id,
        "security_protocol": protocol,
    }
    if protocol in {"SSL", "SASL_SSL"} and kafka.ssl_cafile:
        config["ssl_cafile"] = kafka.ssl_cafile
    if protocol.startswith("SASL"):
        config["sasl_mechanism"] = kafka.sasl_mechanism or "PLAIN"
        config["sasl_plain_username"] = kafka.sasl_username
        if kafka.sasl_password is not None:
            config["sasl_plain_password"] = kafka.sasl_password.get_secret_value()
    return config


def consumer_group(kafka: KafkaSettings, stage: str) -> str:
    """The consumer group of a stage: one group per stage, workers scale out inside it."""
    return f"{kafka.group_prefix}.{stage}"


def make_producer(
    kafka: KafkaSettings, bootstrap: str, *, client_id: str = "kcall"
) -> KafkaProducer:
    """An idempotent producer that waits for all in-sync replicas (acks=all).

    Every delivery-relevant option is spelled out rather than left to kafka-python's
    defaults (which differ between its releases): a record is retried until
    `delivery_timeout_ms` passes, then its future fails and `Publisher.flush` raises,
    so the stage commits nothing and retries the batch with a new producer.
    """
    request_timeout_ms = min(30_000, max(1000, kafka.delivery_timeout_ms - kafka.linger_ms))
    return KafkaProducer(
        **client_config(kafka, bootstrap, client_id=client_id),
        acks="all",
        # Idempotence keeps broker-side retries from duplicating or reordering a partition
        # (tansu and Kafka both grant producer ids; checked in tests/integration).
        enable_idempotence=True,
        linger_ms=kafka.linger_ms,
        retries=2**31 - 1,
        delivery_timeout_ms=kafka.delivery_timeout_ms,
        request_timeout_ms=request_timeout_ms,
        max_in_flight_requests_per_connection=5,
        # send() blocks at most this long for metadata or buffer space, then raises.
        max_block_ms=10_000,
        retry_backoff_ms=100,
        reconnect_backoff_ms=50,
        reconnect_backoff_max_ms=5_000,
        # kafka-python's 1 MiB default would refuse the largest audio chunk the API takes.
        max_request_size=PRODUCER_MAX_REQUEST_BYTES,
    )


def make_consumer(
    kafka: KafkaSettings, bootstrap: str, *, stage: str, client_id: str | None = None
) -> KafkaConsumer:
    """A manually committing group consumer for `stage`; subscribe it yourself."""
    return KafkaConsumer(
        **client_config(kafka, bootstrap, client_id=client_id or f"kcall-{stage}"),
        group_id=consumer_group(kafka, stage),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=kafka.session_timeout_ms,
        heartbeat_interval_ms=kafka.heartbeat_interval_ms,
        fetch_max_wait_ms=kafka.fetch_max_wait_ms,
        max_poll_records=kafka.max_poll_records,
        max_poll_interval_ms=kafka.max_poll_interval_ms,
        # No producer of ours is transactional, so there is nothing to wait for.
        isolation_level="read_uncommitted",
        # Full fetches every time: under load tansu was seen to stop returning one topic's
        # partitions inside an incremental fetch session while others flowed.
        enable_incremental_fetch_sessions=False,
        request_timeout_ms=30_000,
        retry_backoff_ms=100,
        reconnect_backoff_ms=50,
        reconnect_backoff_max_ms=5_000,
        # One record batch of the largest message always fits one fetch.
        max_partition_fetch_bytes=CONSUMER_MAX_PARTITION_FETCH_BYTES,
    )


def make_admin(kafka: KafkaSettings, bootstrap: str) -> KafkaAdminClient:
    """An admin client (topics, groups)."""
    return KafkaAdminClient(**client_config(kafka, bootstrap, client_id="kcall-admin"))
