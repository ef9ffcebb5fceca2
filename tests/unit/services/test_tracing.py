"""Spans per call and stage, linked through Kafka headers; the waterfall; JSON logs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Tracer
from typer.testing import CliRunner

from pipelines.stage import Incoming, Outgoing
from services.broker import publisher as publisher_module
from services.cli.main import app
from services.cli.trace_commands import load_call_spans, waterfall
from services.config import KafkaSettings
from services.observability.tracing import (
    AUDIO_SPAN_EVERY,
    JsonLinesSpanExporter,
    JsonLogFormatter,
    TracingHandler,
    call_trace_id,
    traceparent_headers,
)
from services.schemas import AudioChunk, CallEnded, CallStarted, Speaker, Topic

log = logging.getLogger("tests.tracing")


class Stage:
    """Turns each message into a CallEnded of the same call; tick releases what it holds."""

    def __init__(self, name: str, *, hold: bool = False) -> None:
        self.name, self.hold = name, hold
        self.sources = (Topic.TRANSCRIPTS,)
        self.held: list[Outgoing] = []

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        log.info("handling %s", incoming.message.message_id)
        out = Outgoing(Topic.TRANSCRIPTS, CallEnded(call_id=incoming.message.call_id, utterances=1))
        if self.hold:
            self.held.append(out)
            return []
        return [out]

    def tick(self, now: float) -> Sequence[Outgoing]:
        released, self.held = self.held, []
        return released

    def safe_offset(self, partition: int) -> int | None:
        return None

    def revoke(self, partitions: Collection[int]) -> None:
        pass


@pytest.fixture
def spans_path(tmp_path: Path) -> Path:
    return tmp_path / "spans.jsonl"


@pytest.fixture
def tracer(spans_path: Path) -> Tracer:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(spans_path)))
    return provider.get_tracer("test")


def _spans(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _started(call_id: str) -> CallStarted:
    return CallStarted(call_id=call_id, customer_id="cust-1")


def test_a_call_is_one_trace_linked_across_stages_by_headers(
    tracer: Tracer, spans_path: Path
) -> None:
    first = TracingHandler(Stage("agent"), tracer)
    second = TracingHandler(Stage("sink"), tracer)
    [output] = first.handle(Incoming(_started("call-a"), partition=0, offset=5))
    headers = tuple(traceparent_headers(output.message))  # what the publisher adds
    assert [key for key, _ in headers] == ["traceparent"]
    second.handle(Incoming(output.message, partition=0, offset=9, headers=headers))
    agent, sink = _spans(spans_path)
    assert agent["name"] == "agent.handle" and sink["name"] == "sink.handle"
    assert agent["trace_id"] == sink["trace_id"] == f"{call_trace_id('call-a'):032x}"
    assert sink["parent_id"] == agent["span_id"]
    assert agent["attributes"]["kcall.call_id"] == "call-a"
    assert agent["attributes"]["messaging.kafka.offset"] == 5


def test_messages_without_headers_still_share_the_calls_trace(
    tracer: Tracer, spans_path: Path
) -> None:
    handler = TracingHandler(Stage("asr"), tracer)
    handler.handle(Incoming(_started("call-b"), partition=1, offset=1))
    handler.handle(Incoming(_started("call-b"), partition=1, offset=2))
    handler.handle(Incoming(_started("call-c"), partition=2, offset=1))
    spans = _spans(spans_path)
    assert spans[0]["trace_id"] == spans[1]["trace_id"] != spans[2]["trace_id"]


def test_tick_outputs_get_emit_spans_under_the_calls_latest_span(
    tracer: Tracer, spans_path: Path
) -> None:
    handler = TracingHandler(Stage("asr", hold=True), tracer)
    assert handler.handle(Incoming(_started("call-d"), partition=0, offset=0)) == []
    [released] = handler.tick(0.0)
    handle, emit = _spans(spans_path)
    assert emit["name"] == "asr.emit" and emit["parent_id"] == handle["span_id"]
    headers = dict(traceparent_headers(released.message))
    assert emit["span_id"] in headers["traceparent"].decode()


def test_the_publisher_sends_the_hooks_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, Any]] = []

    class Future:
        def add_errback(self, *args: object) -> None:
            pass

    class Producer:
        def send(self, topic: str, **record: Any) -> Future:
            sent.append(record)
            return Future()

    monkeypatch.setattr(publisher_module, "make_producer", lambda *a, **k: Producer())
    monkeypatch.setattr(publisher_module, "HEADER_HOOKS", [lambda m: [("traceparent", b"x")]])
    publisher_module.Publisher("b:9092", KafkaSettings()).send(Topic.TRANSCRIPTS, _started("e"))
    assert sent[0]["headers"] == [("traceparent", b"x")]
    assert sent[0]["key"] == b"e"


def test_kcall_trace_prints_the_waterfall(tracer: Tracer, spans_path: Path) -> None:
    first = TracingHandler(Stage("agent"), tracer)
    second = TracingHandler(Stage("sink"), tracer)
    [output] = first.handle(Incoming(_started("call-f"), partition=0, offset=0))
    headers = tuple(traceparent_headers(output.message))
    second.handle(Incoming(output.message, partition=0, offset=1, headers=headers))
    first.handle(Incoming(_started("call-other"), partition=0, offset=2))
    with spans_path.open("a") as out:
        out.write('{"cut mid-wri')  # a crash mid-line is skipped
    spans = load_call_spans(spans_path, "call-f")
    assert len(spans) == 2
    lines = waterfall(spans)
    assert lines[0].startswith("call call-f: 2 spans")
    assert "agent.handle call_started" in lines[2]
    assert "  sink.handle call_ended" in lines[3]  # indented under its parent
    result = CliRunner().invoke(app, ["trace", "call-f", "--file", str(spans_path)])
    assert result.exit_code == 0, result.output
    assert "sink.handle" in result.output and "call-other" not in result.output
    missing = CliRunner().invoke(app, ["trace", "nope", "--file", str(spans_path)])
    assert missing.exit_code == 1


def test_json_logs_carry_call_id_and_trace_id(tracer: Tracer) -> None:
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(JsonLogFormatter())
    log.addHandler(capture)
    log.setLevel(logging.INFO)
    try:
        TracingHandler(Stage("agent"), tracer).handle(
            Incoming(_started("call-g"), partition=0, offset=0)
        )
        log.info("outside any call")
    finally:
        log.removeHandler(capture)
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["call_id"] == "call-g"
    assert inside["trace_id"] == f"{call_trace_id('call-g'):032x}"
    assert inside["message"].startswith("handling ")
    assert outside["call_id"] is None and outside["trace_id"] is None


def test_audio_chunks_are_sampled(tracer: Tracer, spans_path: Path) -> None:
    handler = TracingHandler(Stage("asr"), tracer)
    for seq in range(AUDIO_SPAN_EVERY + 3):
        chunk = AudioChunk(call_id="call-h", seq=seq, channel=Speaker.CUSTOMER, sample_rate=8000,
                           pcm=b"\x00\x00" * 80, last=seq == AUDIO_SPAN_EVERY + 2)  # fmt: skip
        handler.handle(Incoming(chunk, partition=0, offset=seq))
    offsets = [s["attributes"]["messaging.kafka.offset"] for s in _spans(spans_path)]
    assert offsets == [0, AUDIO_SPAN_EVERY, AUDIO_SPAN_EVERY + 2]


def test_the_exporter_is_otlp_when_an_endpoint_is_set(tmp_path: Path) -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    from services.config import Settings
    from services.observability.tracing import span_exporter, spans_file

    local = Settings.model_validate({"paths": {"data": str(tmp_path)}})
    assert isinstance(span_exporter(local), JsonLinesSpanExporter)
    assert spans_file(local) == tmp_path / "traces" / "spans.jsonl"
    remote = Settings.model_validate(
        {"trace": {"otlp_endpoint": "http://collector:4318/v1/traces"}}
    )
    exporter = span_exporter(remote)
    assert isinstance(exporter, OTLPSpanExporter)
    exporter.shutdown()
