"""The Kafka a process talks to: the configured cluster, or an embedded broker it owns."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from services.broker.embedded import EmbeddedBroker
from services.broker.topics import ensure_topics
from services.config import Settings

__all__ = ["kafka_endpoint"]

log = logging.getLogger(__name__)


@contextmanager
def kafka_endpoint(settings: Settings) -> Iterator[str]:
    """Yield a bootstrap address with every contract topic (and DLQ) present.

    Uses `settings.kafka.bootstrap` when set; otherwise starts an embedded tansu broker
    for the duration of the block and stops it on exit, Ctrl-C or error.
    """
    if settings.kafka.bootstrap:
        ensure_topics(settings.kafka, settings.kafka.bootstrap, retention=settings.retention)
        log.info("using Kafka at %s", settings.kafka.bootstrap)
        yield settings.kafka.bootstrap
        return
    with EmbeddedBroker() as broker:
        ensure_topics(settings.kafka, broker.bootstrap, retention=settings.retention)
        yield broker.bootstrap
