"""Per-stage latency, busy time, ASR audio and model-stage outcomes, on top of pipelines/metrics.

`instrument(handler)` wraps any stage handler (the runner sees the same interface) and
records, per stage:

- `kcall_stage_handle_seconds`: time one message spends in the handler (histogram);
- `kcall_stage_event_age_seconds`: how old a message's event is when this stage takes it
  (now - occurred_at), i.e. the pipeline latency up to this stage (histogram);
- `kcall_stage_busy_seconds_total`: handler time, handle() and tick() both. Its rate is the
  stage's real-time load (busy seconds per wall second, the figure of bench/asr_stream.py):
  near 1 the worker cannot keep up;
- `kcall_asr_audio_seconds_total`: audio the ASR stage received (per channel), so
  busy / audio is the ASR real-time factor.

The model stage's own counters (ModelStageStats) are exported at scrape time by
`ModelStageCollector`. Consumer lag, message and DLQ counters live in pipelines/metrics.py;
model tokens and fallbacks by graph node in services/llm/metrics.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from agents.ports import SystemClock
from services.observability.wrapping import HandlerWrapper

if TYPE_CHECKING:
    from pipelines.model import ModelStageStats
    from pipelines.stage import Incoming, Outgoing, StageHandler

__all__ = [
    "ASR_AUDIO_SECONDS",
    "EVENT_AGE_SECONDS",
    "HANDLE_SECONDS",
    "STAGE_BUSY_SECONDS",
    "InstrumentedHandler",
    "ModelStageCollector",
    "instrument",
]

HANDLE_SECONDS = Histogram(
    "kcall_stage_handle_seconds",
    "Time one message spends in a stage's handler",
    ["stage"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
EVENT_AGE_SECONDS = Histogram(
    "kcall_stage_event_age_seconds",
    "Age of a message's event (now - occurred_at) when a stage takes it: latency up to here",
    ["stage"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 180.0),
)
STAGE_BUSY_SECONDS = Counter(
    "kcall_stage_busy_seconds",
    "Seconds a stage's handler worked (handle and tick); its rate is the real-time load",
    ["stage"],
)
ASR_AUDIO_SECONDS = Counter(
    "kcall_asr_audio_seconds", "Seconds of channel audio the ASR stage received"
)


class _Clock(Protocol):
    def __call__(self) -> float: ...


class InstrumentedHandler(HandlerWrapper):
    """A stage handler that times its inner handler; everything else passes through."""

    def __init__(
        self,
        inner: StageHandler,
        *,
        clock: _Clock = time.perf_counter,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(inner)
        self._clock = clock
        self._now = now or SystemClock().now
        self._handle_seconds = HANDLE_SECONDS.labels(inner.name)
        self._event_age = EVENT_AGE_SECONDS.labels(inner.name)
        self._busy = STAGE_BUSY_SECONDS.labels(inner.name)

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        """Handle one message through the inner handler, timing it."""
        message = incoming.message
        age = (self._now() - message.occurred_at).total_seconds()
        self._event_age.observe(max(0.0, age))
        audio = _audio_seconds(message)
        if audio is not None:
            ASR_AUDIO_SECONDS.inc(audio)
        started = self._clock()
        try:
            return self._inner.handle(incoming)
        finally:
            spent = max(0.0, self._clock() - started)
            self._handle_seconds.observe(spent)
            self._busy.inc(spent)

    def tick(self, now: float) -> Sequence[Outgoing]:
        """Tick the inner handler, counting the time as busy."""
        started = self._clock()
        try:
            return self._inner.tick(now)
        finally:
            self._busy.inc(max(0.0, self._clock() - started))



def _audio_seconds(message: object) -> float | None:
    pcm = getattr(message, "pcm", None)
    rate = getattr(message, "sample_rate", None)
    if isinstance(pcm, bytes | bytearray) and isinstance(rate, int) and rate > 0:
        return len(pcm) / 2 / rate  # PCM16 mono
    return None


class ModelStageCollector(Collector):
    """Exports a model-stage handler's ModelStageStats (and backlog) at scrape time."""

    def __init__(self, stats: ModelStageStats, backlog: Callable[[], int] | None = None) -> None:
        self._stats = stats
        self._backlog = backlog

    def collect(self) -> Iterator[Metric]:
        """Current counters as metric families."""
        stats = self._stats
        outcomes = CounterMetricFamily(
            "kcall_model_stage_requests",
            "Model requests by task and outcome (answered, expired, late, shed)",
            labels=["task", "outcome"],
        )
        for outcome, counts in (
            ("answered", stats.answered), ("expired", stats.expired),
            ("late", stats.late), ("shed", stats.shed),
        ):  # fmt: skip
            for task, count in sorted(counts.items()):
                outcomes.add_metric([task, outcome], count)
        yield outcomes
        rejected = CounterMetricFamily(
            "kcall_model_stage_rejected",
            "Model answers rejected because they contradicted the rules, by reason (the "
            "rules' result stands: a fallback)",
            labels=["reason"],
        )
        for reason, count in sorted(stats.rejected.items()):
            rejected.add_metric([reason], count)
        yield rejected
        yield CounterMetricFamily(
            "kcall_model_stage_queued", "Model requests queued", value=stats.queued
        )
        yield CounterMetricFamily(
            "kcall_model_stage_duplicates", "Redelivered requests ignored", value=stats.duplicates
        )
        yield CounterMetricFamily(
            "kcall_model_stage_tokens", "Tokens the model stage spent", value=stats.tokens
        )
        if self._backlog is not None:
            yield GaugeMetricFamily(
                "kcall_model_stage_backlog", "Requests queued and not yet asked",
                value=self._backlog(),
            )


class InstrumentedBatchHandler(InstrumentedHandler):
    """The same, for a handler that takes a poll batch at once (`handle_many`)."""

    def handle_many(self, incomings: Sequence[Incoming]) -> Sequence[Outgoing]:
        """Handle a batch through the inner handler; each message is charged its share."""
        for incoming in incomings:
            age = (self._now() - incoming.message.occurred_at).total_seconds()
            self._event_age.observe(max(0.0, age))
        started = self._clock()
        try:
            return self._inner.handle_many(incomings)  # type: ignore[attr-defined, no-any-return]
        finally:
            spent = max(0.0, self._clock() - started)
            for _ in incomings:
                self._handle_seconds.observe(spent / len(incomings))
            self._busy.inc(spent)


def has_batch_path(handler: object) -> bool:
    """Whether the handler's own class takes whole poll batches (`handle_many`)."""
    return callable(getattr(type(handler), "handle_many", None))


def instrument(
    handler: StageHandler, registry: CollectorRegistry = REGISTRY, *, tracing: bool = False
) -> InstrumentedHandler:
    """Wrap `handler` with the stage metrics (and spans); a model stage also exports its stats."""
    stats = getattr(handler, "stats", None)
    backlog = getattr(handler, "backlog", None)
    if handler.name == "model" and stats is not None:
        registry.register(ModelStageCollector(stats, backlog if callable(backlog) else None))
    if tracing:
        from services.observability.tracing import traced

        handler = traced(handler)
    # The wrappers keep the batch path only where the wrapped handler has one: the runner
    # offers batches to a class with `handle_many` and must not lose per-message work.
    if has_batch_path(handler):
        return InstrumentedBatchHandler(handler)
    return InstrumentedHandler(handler)
