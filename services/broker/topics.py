"""Idempotent topic creation: every contract topic and its DLQ, partitions from settings."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from kafka.errors import TopicAlreadyExistsError, for_code

from services.broker.clients import make_admin
from services.config import KafkaSettings
from services.schemas import all_topic_names

__all__ = ["ensure_topics"]

log = logging.getLogger(__name__)

_ALREADY_EXISTS = TopicAlreadyExistsError.errno


def ensure_topics(
    kafka: KafkaSettings, bootstrap: str, names: Iterable[str] | None = None
) -> list[str]:
    """Create the topics that do not exist yet; return the names created.

    Safe to call from several processes at once: a topic another process created
    between our listing and our request counts as present.

    Args:
        kafka: Broker settings; `partitions` sets the count for new topics.
        bootstrap: host:port list of the broker.
        names: Topics to ensure; None means every contract topic and its DLQ.
    """
    wanted = list(names) if names is not None else all_topic_names()
    admin = make_admin(kafka, bootstrap)
    try:
        missing = [name for name in wanted if name not in set(admin.list_topics())]
        if not missing:
            return []
        spec = {
            name: {"num_partitions": kafka.partitions, "replication_factor": -1} for name in missing
        }
        response = admin.create_topics(spec, raise_errors=False, wait_for_metadata=True)
    finally:
        admin.close()
    created = []
    for result in response["topics"]:
        code = result["error_code"]
        if code == 0:
            created.append(result["name"])
        elif code != _ALREADY_EXISTS:
            error = for_code(code)
            raise error(f"creating topic {result['name']}: {result.get('error_message')}")
    if created:
        log.info("created topics %s with %d partitions", ", ".join(created), kafka.partitions)
    return created
