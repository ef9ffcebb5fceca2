"""Reads the system's output topics and timestamps every insight and summary per call.

With `transcripts=True` it also timestamps the ASR stage's utterances (audio runs), so a
report can time utterance end → transcript.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from services.broker import make_consumer
from services.config import KafkaSettings
from services.schemas import CallInsight, CallSummary, DecodeError, Topic, Utterance, decode

__all__ = ["CallObservation", "OutputCollector"]

log = logging.getLogger(__name__)


@dataclass
class CallObservation:
    """What came out of the system for one call, with monotonic arrival times."""

    insights: dict[int, tuple[CallInsight, float]] = field(default_factory=dict)
    summary: tuple[CallSummary, float] | None = None
    latest_summary: tuple[CallSummary, float] | None = None
    transcripts: list[tuple[Utterance, float]] = field(default_factory=list)

    @property
    def model_summary(self) -> tuple[CallSummary, float] | None:
        """The first model-written revision of the summary, when one came."""
        latest = self.latest_summary
        return latest if latest and latest[0].revision > 0 else None


class OutputCollector:
    """A background consumer of insights and summaries (and ASR transcripts) in its own group."""

    def __init__(self, bootstrap: str, kafka: KafkaSettings, *, transcripts: bool = False) -> None:
        self._consumer = make_consumer(kafka, bootstrap, stage=f"loadtest-{uuid.uuid4().hex[:8]}")
        topics = [Topic.INSIGHTS, Topic.SUMMARIES, *([Topic.TRANSCRIPTS] if transcripts else [])]
        self._consumer.subscribe([topic.value for topic in topics])
        self._calls: dict[str, CallObservation] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._assigned = threading.Event()
        self._thread = threading.Thread(target=self._run, name="output-collector", daemon=True)

    def __enter__(self) -> OutputCollector:
        self._thread.start()
        if not self._assigned.wait(timeout=60):
            raise TimeoutError("the result collector did not join its consumer group in 60 s")
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._consumer.close()

    def observation(self, call_id: str) -> CallObservation:
        """A snapshot of one call's outputs so far."""
        with self._lock:
            seen = self._calls.get(call_id, CallObservation())
            return CallObservation(
                dict(seen.insights), seen.summary, seen.latest_summary, list(seen.transcripts)
            )

    def wait_for_summaries(
        self, call_ids: set[str], *, timeout_s: float, model: bool = False
    ) -> set[str]:
        """Wait until every call has a summary (with `model`: a model-written one) or time is up.

        Returns the calls still missing one.
        """
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                missing = {
                    c for c in call_ids
                    if (self._calls.get(c, CallObservation()).model_summary if model
                        else self._calls.get(c, CallObservation()).summary) is None
                }
                remaining = deadline - time.monotonic()
                if not missing or remaining <= 0:
                    return missing
                self._changed.wait(timeout=min(remaining, 1.0))

    def wait_for_insights(self, expected: Mapping[str, int], *, timeout_s: float) -> set[str]:
        """Wait until each call id has at least its count of insights or time is up.

        Returns the call ids still short of theirs (chat sessions have no summary to wait for).
        """
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                missing = {
                    c
                    for c, n in expected.items()
                    if len(self._calls.get(c, CallObservation()).insights) < n
                }
                remaining = deadline - time.monotonic()
                if not missing or remaining <= 0:
                    return missing
                self._changed.wait(timeout=min(remaining, 1.0))

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self._consumer.poll(timeout_ms=200)
            if self._consumer.assignment():
                self._assigned.set()
            now = time.monotonic()
            for partition, records in batch.items():
                for record in records:
                    self._record(partition.topic, record.value, now)

    def _record(self, topic: str, value: bytes | None, now: float) -> None:
        try:
            message = decode(topic, value)
        except DecodeError as exc:
            log.warning("collector skipped an undecodable %s record: %s", topic, exc)
            return
        if topic == Topic.TRANSCRIPTS.value and not (
            isinstance(message, Utterance) and message.source == "asr"
        ):
            return  # call starts and ends, and the generator's own text lines
        with self._changed:
            seen = self._calls.setdefault(message.call_id, CallObservation())
            if isinstance(message, Utterance):
                seen.transcripts.append((message, now))
            elif isinstance(message, CallInsight):
                # Latency is measured to the first (rules) insight; later ones reword it.
                seen.insights.setdefault(message.utterance_seq, (message, now))
            elif isinstance(message, CallSummary):
                if seen.summary is None:
                    seen.summary = (message, now)
                latest = seen.latest_summary
                if latest is None or message.revision >= latest[0].revision:
                    seen.latest_summary = (message, now)
            self._changed.notify_all()
