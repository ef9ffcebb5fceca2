"""Spans cross a real broker: the traceparent header survives Kafka and links the stages."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from pipelines.stage import Incoming, Outgoing
from services.broker import Publisher
from services.broker import publisher as publisher_module
from services.config import Settings
from services.observability.tracing import (
    JsonLinesSpanExporter,
    TracingHandler,
    call_trace_id,
    traceparent_headers,
)
from services.schemas import AudioChunk, CallStarted, Speaker, Topic
from tests.fixtures.broker import StageThread, read_topic, unique_name

pytestmark = pytest.mark.integration


class _Forward:
    """asr-like: an audio chunk in, a CallStarted of the same call out."""

    name = "trace-asr"
    sources = (Topic.AUDIO,)

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        return [Outgoing(Topic.TRANSCRIPTS,
                         CallStarted(call_id=incoming.message.call_id, customer_id="cust-1"))]

    def tick(self, now: float) -> Sequence[Outgoing]:
        return []

    def safe_offset(self, partition: int) -> int | None:
        return None

    def revoke(self, partitions: Collection[int]) -> None:
        pass


class _Sink(_Forward):
    name = "trace-sink"
    sources = (Topic.TRANSCRIPTS,)

    def __init__(self) -> None:
        self.seen: list[str] = []

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        self.seen.append(incoming.message.call_id)
        return []


def _wait_for(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_traceparent_crosses_kafka_and_links_two_stages(
    private_kafka_bootstrap: str,
    kafka_test_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bootstrap, settings = private_kafka_bootstrap, kafka_test_settings
    monkeypatch.setattr(publisher_module, "HEADER_HOOKS", [traceparent_headers])
    spans_path = tmp_path / "spans.jsonl"
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(spans_path)))
    tracer = provider.get_tracer("test")
    call_id = unique_name("call")
    with Publisher(bootstrap, settings.kafka) as publisher:
        publisher.send(Topic.AUDIO, AudioChunk(call_id=call_id, seq=0, channel=Speaker.CUSTOMER,
                                               sample_rate=8000, pcm=b"\x00\x00" * 160))
        publisher.flush()
    sink = _Sink()
    with (
        StageThread(TracingHandler(_Forward(), tracer), bootstrap=bootstrap, settings=settings),
        StageThread(TracingHandler(sink, tracer), bootstrap=bootstrap, settings=settings) as last,
    ):
        _wait_for(lambda: call_id in sink.seen)
        last.stop()
    [record] = [r for r in read_topic(bootstrap, Topic.TRANSCRIPTS.value, min_records=1)
                if r.key == call_id.encode()]  # fmt: skip
    headers = dict(record.headers)
    spans = {s["name"]: s for s in map(json.loads, spans_path.read_text().splitlines())
             if s["attributes"]["kcall.call_id"] == call_id}  # fmt: skip
    asr, sink_span = spans["trace-asr.handle"], spans["trace-sink.handle"]
    assert asr["span_id"] in headers["traceparent"].decode()
    assert sink_span["parent_id"] == asr["span_id"]
    assert asr["trace_id"] == sink_span["trace_id"] == f"{call_trace_id(call_id):032x}"
