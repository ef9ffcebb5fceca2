"""Idempotent topic creation: every contract topic and its DLQ, partitions from settings.

New topics get `max.message.bytes` = TOPIC_MAX_MESSAGE_BYTES, so the largest audio chunk
the API takes (services.schemas.limits) fits whatever the broker's default is (Apache
Kafka's is 1 MiB). Retention (services.config.RetentionSettings): `calls.audio.v1` keeps
speech only as long as an ASR worker may need to replay an open call after a crash
(`audio_topic_minutes`, or `audio_days` when audio is to be kept), every `<topic>.dlq`
keeps its letters `dlq_days`, each with segments short enough for the period to bite;
the other topics keep the broker's default. Topics that
already exist keep their settings (change them with `kafka-configs.sh --alter`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from kafka.errors import TopicAlreadyExistsError, for_code

from services.broker.clients import make_admin
from services.config import KafkaSettings, RetentionSettings
from services.schemas import Topic, all_topic_names
from services.schemas.limits import TOPIC_MAX_MESSAGE_BYTES

__all__ = ["ensure_topics", "topic_configs"]

log = logging.getLogger(__name__)

_ALREADY_EXISTS = TopicAlreadyExistsError.errno
_MS_PER_MINUTE = 60_000
_MS_PER_DAY = 86_400_000


def topic_configs(name: str, retention: RetentionSettings) -> dict[str, str]:
    """The topic-level configs a new topic `name` gets."""
    configs = {"max.message.bytes": str(TOPIC_MAX_MESSAGE_BYTES)}
    if name == Topic.AUDIO:
        keep_ms = (retention.audio_days * _MS_PER_DAY if retention.audio_days
                   else retention.audio_topic_minutes * _MS_PER_MINUTE)  # fmt: skip
    elif name.endswith(".dlq"):
        keep_ms = retention.dlq_days * _MS_PER_DAY
    else:
        return configs
    # Kafka deletes whole closed segments only, and a segment closes after segment.ms
    # (7 days by default): without a shorter one, retention.ms of an hour would keep
    # speech for a week. A sixth of the period bounds the overshoot at about 17%.
    configs["retention.ms"] = str(keep_ms)
    configs["segment.ms"] = str(max(_MS_PER_MINUTE, keep_ms // 6))
    return configs


def ensure_topics(
    kafka: KafkaSettings,
    bootstrap: str,
    names: Iterable[str] | None = None,
    *,
    retention: RetentionSettings | None = None,
) -> list[str]:
    """Create the topics that do not exist yet; return the names created.

    Safe to call from several processes at once: a topic another process created
    between our listing and our request counts as present.

    Args:
        kafka: Broker settings; `partitions` sets the count for new topics.
        bootstrap: host:port list of the broker.
        names: Topics to ensure; None means every contract topic and its DLQ.
        retention: Periods for the audio and DLQ topics; None = the defaults.
    """
    wanted = list(names) if names is not None else all_topic_names()
    retention = retention or RetentionSettings()
    admin = make_admin(kafka, bootstrap)
    try:
        missing = [name for name in wanted if name not in set(admin.list_topics())]
        if not missing:
            return []
        spec = {
            name: {
                "num_partitions": kafka.partitions,
                "replication_factor": -1,
                "configs": topic_configs(name, retention),
            }
            for name in missing
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
