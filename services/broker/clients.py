"""kafka-python client factories built from KafkaSettings (plaintext, TLS or SASL)."""

from __future__ import annotations

from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from services.config import KafkaSettings

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
    """An idempotent producer that waits for all in-sync replicas (acks=all)."""
    return KafkaProducer(
        **client_config(kafka, bootstrap, client_id=client_id),
        acks="all",
        # Idempotence keeps broker-side retries from duplicating or reordering a partition.
        enable_idempotence=True,
        linger_ms=kafka.linger_ms,
        retries=2**31 - 1,
        delivery_timeout_ms=120_000,
        max_in_flight_requests_per_connection=5,
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
    )


def make_admin(kafka: KafkaSettings, bootstrap: str) -> KafkaAdminClient:
    """An admin client (topics, groups)."""
    return KafkaAdminClient(**client_config(kafka, bootstrap, client_id="kcall-admin"))
