"""Stage instrumentation, the model-stage collector, and the dashboard's metric names."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import Metric

import pipelines.metrics
import services.api.telemetry
import services.llm.metrics
from pipelines.model import ModelStageStats
from pipelines.stage import Incoming, Outgoing
from services.observability.stage_metrics import (
    InstrumentedHandler,
    ModelStageCollector,
    instrument,
)
from services.schemas import AudioChunk, Speaker, Topic

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "kcall.json"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# What the issue asks the dashboard to show, as metric families the code registers.
REQUIRED = {
    "kcall_stage_messages_total",  # throughput
    "kcall_consumer_lag",
    "kcall_stage_dlq_total",
    "kcall_stage_handle_seconds_bucket",  # latency per stage
    "kcall_stage_event_age_seconds_bucket",
    "kcall_stage_busy_seconds_total",  # ASR real-time load
    "kcall_asr_audio_seconds_total",
    "kcall_llm_tokens_total",
    "kcall_llm_fallbacks_total",
    "kcall_model_stage_requests_total",
    "kcall_model_stage_rejected_total",
    "kcall_model_stage_tokens_total",
}


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


class SlowHandler:
    """Takes `cost` seconds of the fake clock per message and per tick."""

    sources = (Topic.AUDIO,)

    def __init__(self, clock: FakeClock, name: str, cost: float) -> None:
        self.name, self.clock, self.cost = name, clock, cost
        self.buffered = 3
        self.revoked: list[int] = []

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        self.clock.t += self.cost
        return []

    def tick(self, now: float) -> Sequence[Outgoing]:
        self.clock.t += self.cost
        return []

    def safe_offset(self, partition: int) -> int | None:
        return 7

    def revoke(self, partitions: Collection[int]) -> None:
        self.revoked.extend(partitions)


def _sample(name: str, labels: dict[str, str] | None = None) -> float:
    value = REGISTRY.get_sample_value(name, labels or {})
    return 0.0 if value is None else value


def _chunk(seconds: float, rate: int = 8000) -> AudioChunk:
    pcm = b"\x00\x00" * int(seconds * rate)
    return AudioChunk(call_id="c-1", seq=0, channel=Speaker.CUSTOMER, sample_rate=rate, pcm=pcm,
                      occurred_at=T0)  # fmt: skip


def test_instrumented_handler_times_handle_and_tick_and_counts_audio() -> None:
    clock = FakeClock()
    stage = "test-asr-a"
    inner = SlowHandler(clock, stage, cost=0.25)
    handler = InstrumentedHandler(inner, clock=clock, now=lambda: T0 + timedelta(seconds=1.5))
    audio_before = _sample("kcall_asr_audio_seconds_total")
    handler.handle(Incoming(_chunk(0.2), partition=0, offset=1))
    handler.handle(Incoming(_chunk(0.2), partition=0, offset=2))
    handler.tick(0.0)
    assert _sample("kcall_stage_handle_seconds_count", {"stage": stage}) == 2
    assert _sample("kcall_stage_handle_seconds_sum", {"stage": stage}) == pytest.approx(0.5)
    assert _sample("kcall_stage_busy_seconds_total", {"stage": stage}) == pytest.approx(0.75)
    assert _sample("kcall_stage_event_age_seconds_sum", {"stage": stage}) == pytest.approx(3.0)
    assert _sample("kcall_asr_audio_seconds_total") - audio_before == pytest.approx(0.4)
    # The runner's interface passes through unchanged.
    assert handler.name == stage and handler.sources == (Topic.AUDIO,)
    assert handler.safe_offset(0) == 7 and handler.buffered == 3
    handler.revoke({1, 2})
    assert sorted(inner.revoked) == [1, 2]


def test_a_failing_handler_is_still_timed() -> None:
    clock = FakeClock()
    stage = "test-fail-b"

    class Failing(SlowHandler):
        def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
            self.clock.t += 0.1
            raise RuntimeError("boom")

    handler = InstrumentedHandler(Failing(clock, stage, 0.0), clock=clock, now=lambda: T0)
    with pytest.raises(RuntimeError):
        handler.handle(Incoming(_chunk(0.1), partition=0, offset=0))
    assert _sample("kcall_stage_busy_seconds_total", {"stage": stage}) == pytest.approx(0.1)


def test_model_stage_collector_exports_stats_at_scrape_time() -> None:
    stats = ModelStageStats()
    registry = CollectorRegistry()
    registry.register(ModelStageCollector(stats, backlog=lambda: 5))
    stats.queued = 4
    stats.answered["summary"] += 2
    stats.expired["intent"] += 1
    stats.rejected["unknown_amount"] += 1
    stats.tokens = 321
    get = registry.get_sample_value
    assert get("kcall_model_stage_requests_total", {"task": "summary", "outcome": "answered"}) == 2
    assert get("kcall_model_stage_requests_total", {"task": "intent", "outcome": "expired"}) == 1
    assert get("kcall_model_stage_rejected_total", {"reason": "unknown_amount"}) == 1
    assert get("kcall_model_stage_tokens_total") == 321
    assert get("kcall_model_stage_queued_total") == 4
    assert get("kcall_model_stage_backlog") == 5
    stats.answered["summary"] += 1  # read live, not copied
    assert get("kcall_model_stage_requests_total", {"task": "summary", "outcome": "answered"}) == 3
    assert b"kcall_model_stage_requests_total" in generate_latest(registry)


def test_instrument_registers_the_model_collector_only_for_the_model_stage() -> None:
    clock = FakeClock()
    registry = CollectorRegistry()
    model = SlowHandler(clock, "model", 0.0)
    model.stats = ModelStageStats(tokens=9)  # type: ignore[attr-defined]
    instrument(model, registry)
    instrument(SlowHandler(clock, "sink", 0.0), registry)
    assert registry.get_sample_value("kcall_model_stage_tokens_total") == 9
    assert len(list(registry.collect())) == 5  # the model stage's families only


def _family_samples(metric: Metric) -> set[str]:
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"),
                "summary": ("_count", "_sum"), "gauge": ("",)}  # fmt: skip
    return {metric.name + s for s in suffixes.get(metric.type, ("",))}


def _exported_names() -> set[str]:
    """Sample names of every metric family the workers and the API register."""
    assert pipelines.metrics and services.llm.metrics and services.api.telemetry  # imported
    names: set[str] = set()
    for metric in REGISTRY.collect():
        names |= _family_samples(metric)
    collector = ModelStageCollector(ModelStageStats(answered=Counter(summary=1)), lambda: 0)
    for metric in collector.collect():
        names |= _family_samples(metric)
    return {name for name in names if name.startswith("kcall_")}


def _dashboard_expressions() -> Iterator[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "kcall-prometheus"
        for target in panel["targets"]:
            yield target["expr"]


def test_the_dashboard_uses_exactly_the_registered_metric_names() -> None:
    exported = _exported_names()
    used = {name for expr in _dashboard_expressions()
            for name in re.findall(r"\bkcall_[a-z0-9_]+", expr)}  # fmt: skip
    assert used, "no expressions"
    assert not used - exported, f"the dashboard names unknown metrics: {sorted(used - exported)}"
    assert REQUIRED <= exported
    assert not REQUIRED - used, f"not on the dashboard: {sorted(REQUIRED - used)}"


def test_the_provisioned_datasource_matches_the_dashboard() -> None:
    import yaml

    datasource = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text()
    )["datasources"][0]
    assert datasource["uid"] == "kcall-prometheus"
    assert datasource["url"] == "http://prometheus:9090"


def test_kcall_worker_runs_the_stage_instrumented_and_traced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from contextlib import contextmanager

    from pipelines.workers import Stage
    from services.cli import worker_run
    from services.observability.tracing import TracingHandler

    ran: list[object] = []
    traced: list[str] = []
    inner = SlowHandler(FakeClock(), "sink", 0.0)

    @contextmanager
    def fake_handler(stage: object, settings: object) -> Iterator[SlowHandler]:
        yield inner

    @contextmanager
    def fake_endpoint(settings: object) -> Iterator[str]:
        yield "broker:9092"

    monkeypatch.setattr(worker_run, "stage_handler", fake_handler)
    monkeypatch.setattr(worker_run, "kafka_endpoint", fake_endpoint)
    monkeypatch.setattr(worker_run, "configure_tracing",
                        lambda settings, service: traced.append(service))  # fmt: skip
    monkeypatch.setattr(worker_run, "run_stage", lambda handler, **kw: ran.append(handler))
    monkeypatch.setattr(worker_run.signal, "signal", lambda *a: None)
    worker_run.run_worker(Stage.SINK, ready_file=None, metrics_port=None)
    [handler] = ran
    assert isinstance(handler, InstrumentedHandler)
    assert isinstance(handler.inner, TracingHandler)
    assert traced == ["kcall-sink"]


class _Batching:
    name = "agent"
    sources = (Topic.TRANSCRIPTS,)

    def __init__(self) -> None:
        self.batches: list[int] = []

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        return []

    def handle_many(self, incomings: Sequence[Incoming]) -> Sequence[Outgoing]:
        self.batches.append(len(incomings))
        return [Outgoing(Topic.INSIGHTS, i.message) for i in incomings]

    def tick(self, now: float) -> Sequence[Outgoing]:
        return []

    def safe_offset(self, partition: int) -> int | None:
        return None

    def revoke(self, partitions: Collection[int]) -> None:
        pass


def test_wrappers_keep_the_batch_path_only_where_the_handler_has_one() -> None:
    from pipelines.stage import BatchHandler
    from services.observability.stage_metrics import instrument
    from services.schemas import CallStarted

    inner = _Batching()
    for tracing in (False, True):
        wrapped = instrument(inner, CollectorRegistry(), tracing=tracing)
        assert isinstance(wrapped, BatchHandler)
        batch = [Incoming(CallStarted(call_id=f"c{i}", customer_id="C1"), 0, i) for i in range(3)]
        outputs = wrapped.handle_many(batch)  # type: ignore[attr-defined]
        assert [o.message.call_id for o in outputs] == ["c0", "c1", "c2"]
    assert inner.batches == [3, 3]

    class _OneByOne(_Batching):
        handle_many = None  # type: ignore[assignment]

    plain = instrument(_OneByOne(), CollectorRegistry(), tracing=True)
    assert not callable(getattr(type(plain), "handle_many", None))
