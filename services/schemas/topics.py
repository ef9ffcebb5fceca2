"""Kafka topic names, one per contract."""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    """Every topic the system reads or writes; keys are always the call_id."""

    AUDIO = "calls.audio.v1"
    TRANSCRIPTS = "calls.transcripts.v1"
    INSIGHTS = "calls.insights.v1"
    SUMMARIES = "calls.summaries.v1"
    MODEL_REQUESTS = "calls.model-requests.v1"
    PHISHING_ALERTS = "calls.phishing-alerts.v1"
    GUARDIAN_ALERTS = "calls.guardian-alerts.v1"
    HANDOFFS = "calls.handoffs.v1"

    @property
    def dlq(self) -> str:
        """The dead-letter topic for poison messages read from this one."""
        return f"{self.value}.dlq"


def all_topic_names() -> list[str]:
    """Every topic and its DLQ, for creating them at start-up."""
    names: list[str] = []
    for topic in Topic:
        names += [topic.value, topic.dlq]
    return names
