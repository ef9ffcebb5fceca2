"""OpenTelemetry spans per call and stage, linked through Kafka headers (W3C traceparent).

Decisions:
- Every span of a call belongs to one trace whose id is derived from the call_id, so a call
  is one trace even where a message carries no traceparent (audio chunks from a phone
  gateway, a redelivered record). Where a message does carry one (everything our stages
  publish), the stage's span is the child of the span that produced it.
- `TracingHandler` wraps a stage handler: one span per message handled (`<stage>.handle`)
  and one per output a tick releases (`<stage>.emit`: an ASR decode, a model answer),
  parented on the call's latest span in this worker. The publisher's header hook then
  injects the span that produced an output into that output's record headers.
- Export: OTLP/HTTP when `KCALL_TRACE_OTLP_ENDPOINT` is set, else JSON lines appended to
  `KCALL_TRACE_FILE` (one write per span, so processes sharing a file do not interleave
  lines); `kcall trace CALL_ID` reads that file.
- Logs: with `KCALL_TRACE_JSON_LOGS` every record is one JSON line carrying the call_id and
  trace_id of the message being handled.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from services.broker import publisher as publisher_module
from services.config import Settings
from services.observability.wrapping import HandlerWrapper

if TYPE_CHECKING:
    from pipelines.stage import Incoming, Outgoing, StageHandler
    from services.schemas import Message

__all__ = [
    "JsonLinesSpanExporter",
    "JsonLogFormatter",
    "TracingBatchHandler",
    "TracingHandler",
    "traced",
    "call_trace_id",
    "configure_tracing",
    "span_exporter",
    "spans_file",
]

_PROPAGATOR = TraceContextTextMapPropagator()
_REMEMBERED = 20_000
AUDIO_SPAN_EVERY = 50
_current_call: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "kcall_call_id", default=None
)


def spans_file(settings: Settings) -> Path:
    """Where spans go (and `kcall trace` reads them) when no OTLP endpoint is set."""
    return settings.trace.file or settings.paths.data / "traces" / "spans.jsonl"


def call_trace_id(call_id: str) -> int:
    """The 128-bit trace id of a call: every span of the call is in this trace."""
    return int.from_bytes(hashlib.sha256(f"trace:{call_id}".encode()).digest()[:16], "big") or 1


def _call_root(call_id: str) -> Context:
    """A remote parent standing for the call, so root spans share the call's trace id."""
    span_id = int.from_bytes(hashlib.sha256(f"span:{call_id}".encode()).digest()[:8], "big") or 1
    context = SpanContext(call_trace_id(call_id), span_id, is_remote=True,
                          trace_flags=TraceFlags(TraceFlags.SAMPLED))  # fmt: skip
    return trace.set_span_in_context(NonRecordingSpan(context))


class _Links:
    """Span contexts by output message id and by call, bounded, shared with the publisher."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_message: OrderedDict[str, SpanContext] = OrderedDict()
        self._by_call: OrderedDict[str, SpanContext] = OrderedDict()

    def produced(self, message_id: str, context: SpanContext) -> None:
        with self._lock:
            _put(self._by_message, message_id, context)

    def touched(self, call_id: str, context: SpanContext) -> None:
        with self._lock:
            _put(self._by_call, call_id, context)

    def for_message(self, message_id: str) -> SpanContext | None:
        with self._lock:
            return self._by_message.pop(message_id, None)

    def for_call(self, call_id: str) -> SpanContext | None:
        with self._lock:
            return self._by_call.get(call_id)


def _put(table: OrderedDict[str, SpanContext], key: str, value: SpanContext) -> None:
    table[key] = value
    table.move_to_end(key)
    if len(table) > _REMEMBERED:
        table.popitem(last=False)


_LINKS = _Links()


def traceparent_headers(message: Message) -> list[tuple[str, bytes]]:
    """Publisher hook: the traceparent of the span that produced `message`, if any."""
    context = _LINKS.for_message(message.message_id)
    if context is None:
        span = trace.get_current_span()
        context = span.get_span_context() if span.get_span_context().is_valid else None
    if context is None:
        return []
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, trace.set_span_in_context(NonRecordingSpan(context)))
    return [(key, value.encode()) for key, value in carrier.items()]


def _parent(call_id: str, headers: Sequence[tuple[str, bytes]]) -> Context:
    carrier = {key: value.decode("latin-1") for key, value in headers if key == "traceparent"}
    if carrier:
        extracted = _PROPAGATOR.extract(carrier)
        if trace.get_current_span(extracted).get_span_context().is_valid:
            return extracted
    return _call_root(call_id)


def _unsampled_audio(message: object) -> bool:
    """Audio chunks come 5 a second per channel: span the first, every 50th and the last."""
    seq = getattr(message, "seq", None)
    return (getattr(message, "kind", None) == "audio" and isinstance(seq, int)
            and seq % AUDIO_SPAN_EVERY != 0 and not getattr(message, "last", False))  # fmt: skip


class TracingHandler(HandlerWrapper):
    """A stage handler recording a span per message and per released output."""

    def __init__(self, inner: StageHandler, tracer: trace.Tracer | None = None) -> None:
        super().__init__(inner)
        self._tracer = tracer or trace.get_tracer("kcall.stage")

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        """Handle one message inside its span; remember the span for the outputs."""
        message = incoming.message
        if _unsampled_audio(message):
            token = _current_call.set(message.call_id)
            try:
                return self._inner.handle(incoming)
            finally:
                _current_call.reset(token)
        headers: Sequence[tuple[str, bytes]] = getattr(incoming, "headers", ())
        attributes: dict[str, str | int] = {
            "kcall.call_id": message.call_id, "kcall.stage": self.name,
            "kcall.kind": str(getattr(message, "kind", type(message).__name__)),
            "messaging.kafka.partition": incoming.partition,
            "messaging.kafka.offset": incoming.offset,
        }  # fmt: skip
        token = _current_call.set(message.call_id)
        try:
            with self._tracer.start_as_current_span(
                f"{self.name}.handle", context=_parent(message.call_id, headers),
                attributes=attributes,
            ) as span:  # fmt: skip
                outputs = self._inner.handle(incoming)
                context = span.get_span_context()
                span.set_attribute("kcall.outputs", len(outputs))
        finally:
            _current_call.reset(token)
        _LINKS.touched(message.call_id, context)
        for output in outputs:
            _LINKS.produced(output.message.message_id, context)
        return outputs

    def tick(self, now: float) -> Sequence[Outgoing]:
        """Tick the inner handler; each output it releases gets an emit span of its call.

        The span covers the tick that released it: for the ASR stage that is the batched
        decode of the utterance, for the model stage the hand-over of a finished answer.
        """
        started = time.time_ns()
        outputs = self._inner.tick(now)
        ended = time.time_ns()
        for output in outputs:
            message = output.message
            parent = _LINKS.for_call(message.call_id)
            context = (trace.set_span_in_context(NonRecordingSpan(parent)) if parent
                       else _call_root(message.call_id))  # fmt: skip
            span = self._tracer.start_span(
                f"{self.name}.emit", context=context,
                attributes={"kcall.call_id": message.call_id, "kcall.stage": self.name,
                            "kcall.kind": str(getattr(message, "kind", "")),
                            "kcall.topic": str(output.topic)},
                start_time=started,
            )  # fmt: skip
            span.end(end_time=ended)
            _LINKS.produced(message.message_id, span.get_span_context())
        return outputs


class TracingBatchHandler(TracingHandler):
    """The same, for a handler that takes a poll batch at once (`handle_many`).

    A batch may hold several calls: each call gets its own `<stage>.handle` span (its trace
    stays one per call), all spanning the batch's time, and each output is linked to the
    span of its own call.
    """

    def handle_many(self, incomings: Sequence[Incoming]) -> Sequence[Outgoing]:
        """Handle the batch through the inner handler; one span per call in it."""
        started = time.time_ns()
        outputs: Sequence[Outgoing] = self._inner.handle_many(incomings)  # type: ignore[attr-defined]
        ended = time.time_ns()
        first: dict[str, Incoming] = {}
        for incoming in incomings:
            first.setdefault(incoming.message.call_id, incoming)
        contexts = {}
        for call_id, incoming in first.items():
            headers: Sequence[tuple[str, bytes]] = getattr(incoming, "headers", ())
            span = self._tracer.start_span(
                f"{self.name}.handle", context=_parent(call_id, headers), start_time=started,
                attributes={"kcall.call_id": call_id, "kcall.stage": self.name,
                            "kcall.batch": len(incomings),
                            "messaging.kafka.partition": incoming.partition,
                            "messaging.kafka.offset": incoming.offset})
            span.end(end_time=ended)
            contexts[call_id] = span.get_span_context()
            _LINKS.touched(call_id, contexts[call_id])
        for output in outputs:
            context = contexts.get(output.message.call_id)
            if context is not None:
                _LINKS.produced(output.message.message_id, context)
        return outputs


def traced(handler: StageHandler) -> TracingHandler:
    """Wrap `handler` with spans, keeping its batch path when it has one."""
    if callable(getattr(type(handler), "handle_many", None)):
        return TracingBatchHandler(handler)
    return TracingHandler(handler)


class JsonLinesSpanExporter(SpanExporter):
    """Appends each span as one JSON line (one write call per line)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Write the spans; a disk error drops them (tracing never stops a stage)."""
        lines = [json.dumps(span_record(span), ensure_ascii=False) + "\n" for span in spans]
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, self._path.open("a", encoding="utf-8") as out:
                for line in lines:
                    out.write(line)
                    out.flush()
        except OSError:
            logging.getLogger(__name__).warning("cannot write spans to %s", self._path)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Nothing held open."""


def span_record(span: ReadableSpan) -> dict[str, Any]:
    """One span as the JSON object `kcall trace` reads."""
    context = span.get_span_context()
    parent = span.parent
    assert context is not None
    resource = span.resource.attributes.get("service.name", "")
    return {
        "trace_id": f"{context.trace_id:032x}",
        "span_id": f"{context.span_id:016x}",
        "parent_id": f"{parent.span_id:016x}" if parent is not None else None,
        "name": span.name,
        "service": str(resource),
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
    }


class JsonLogFormatter(logging.Formatter):
    """One JSON object per record with the call_id and trace_id in force."""

    def format(self, record: logging.LogRecord) -> str:
        """Render `record` as JSON."""
        call_id = _current_call.get()
        span_context = trace.get_current_span().get_span_context()
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "call_id": call_id,
            "trace_id": f"{span_context.trace_id:032x}" if span_context.is_valid else None,
            "span_id": f"{span_context.span_id:016x}" if span_context.is_valid else None,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def span_exporter(settings: Settings) -> SpanExporter:
    """OTLP/HTTP to the configured endpoint, else the JSON-lines file."""
    if settings.trace.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=settings.trace.otlp_endpoint)
    return JsonLinesSpanExporter(spans_file(settings))


def configure_tracing(
    settings: Settings, service: str, *, processor: SpanProcessor | None = None
) -> TracerProvider | None:
    """Install the tracer provider, the publisher's header hook and (optionally) JSON logs.

    Returns the provider (None when tracing is off); it flushes at interpreter exit.
    """
    if settings.trace.json_logs:
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonLogFormatter())
    if not settings.trace.enabled:
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if processor is None:
        processor = BatchSpanProcessor(span_exporter(settings), schedule_delay_millis=1000)
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    if traceparent_headers not in publisher_module.HEADER_HOOKS:
        publisher_module.HEADER_HOOKS.append(traceparent_headers)
    return provider
