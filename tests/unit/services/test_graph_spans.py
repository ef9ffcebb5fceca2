"""Spans inside the agent stage: one per graph node, tool call and model call."""

from __future__ import annotations

from langgraph.checkpoint.memory import InMemorySaver
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agents.graph import build_graph, handle_utterance, start_call
from services.observability.graph_spans import AuditSpans, NodeSpans
from services.schemas import CallStarted, Speaker, Utterance
from tests.unit.agents.fakes import ports, world


def test_graph_nodes_and_tool_calls_are_spans_under_the_stage_span() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    fakes = ports(world("duplicate_charge"))
    context = fakes.context()
    context = type(context)(**{**{f: getattr(context, f) for f in context.__dataclass_fields__},
                               "audit": AuditSpans(fakes.audit, tracer),
                               "callbacks": (NodeSpans(tracer),)})
    graph = build_graph(InMemorySaver())
    with tracer.start_as_current_span("agent.handle") as stage:
        start_call(graph, context, CallStarted(call_id="c1", customer_id="C1"))
        handle_utterance(graph, context, Utterance(
            call_id="c1", seq=0, speaker=Speaker.CUSTOMER, text="컬러링이 두 번 청구됐어요",
            start_ms=0, end_ms=1, confidence=0.9))
    spans = exporter.get_finished_spans()
    names = [s.name for s in spans]
    for node in ("node redact_pii", "node classify_intent", "node decide", "node emit"):
        assert node in names, names
    assert any(name.startswith("tool:") for name in names), names
    inner = [s for s in spans if s.name != "agent.handle"]
    stage_id = stage.get_span_context().span_id
    assert all(s.parent is not None and s.context.trace_id == stage.get_span_context().trace_id
               for s in inner)
    assert any(s.parent is not None and s.parent.span_id == stage_id for s in inner)
    assert fakes.audit.entries  # the audit itself still records everything
