"""Spans inside the agent stage: one per graph node, tool call and model call.

Graph nodes come from LangGraph's callbacks (a node's run carries its name in the
`langgraph_node` metadata); tool and model calls from the audit port, which already
records each with its latency, so their spans are drawn from that (start = end - latency)
and the core needs no tracing code. Both hang under the stage's current span, so
`kcall trace CALL_ID` shows them inside the message that caused them. Off by default
(`KCALL_TRACE_GRAPH`): a span per node costs time on the live path.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

from agents.ports import AuditLog

__all__ = ["AuditSpans", "NodeSpans"]

_TRACER = "kcall.graph"


class NodeSpans(BaseCallbackHandler):
    """A span per graph node run, child of whatever span is current (the stage's)."""

    def __init__(self, tracer: trace.Tracer | None = None) -> None:
        super().__init__()
        self._spans: dict[UUID, Span] = {}
        self._lock = threading.Lock()
        self._tracer = tracer or trace.get_tracer(_TRACER)

    def on_chain_start(self, serialized: dict[str, Any], inputs: dict[str, Any], *,
                       run_id: UUID, parent_run_id: UUID | None = None,
                       tags: list[str] | None = None, metadata: dict[str, Any] | None = None,
                       **kwargs: Any) -> None:
        """Open a span when the run is a node itself (not the graph, not a sub-runnable)."""
        node = (metadata or {}).get("langgraph_node")
        if not node or kwargs.get("name") != node:
            return
        span = self._tracer.start_span(f"node {node}", attributes={"kcall.node": str(node)})
        with self._lock:
            self._spans[run_id] = span

    def on_chain_end(self, outputs: Any, *, run_id: UUID, parent_run_id: UUID | None = None,
                     **kwargs: Any) -> None:
        """Close the node's span."""
        self._close(run_id, None)

    def on_chain_error(self, error: BaseException, *, run_id: UUID,
                       parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        """Close the node's span as failed (an interrupt is a pause, still recorded)."""
        self._close(run_id, error)

    def _close(self, run_id: UUID, error: BaseException | None) -> None:
        with self._lock:
            span = self._spans.pop(run_id, None)
        if span is None:
            return
        if error is not None:
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end()


class AuditSpans:
    """The audit port, also drawing a span for every tool and model call it records."""

    def __init__(self, inner: AuditLog, tracer: trace.Tracer | None = None) -> None:
        self._inner = inner
        self._tracer = tracer or trace.get_tracer(_TRACER)

    def record(self, *, call_id: str, actor: str, action: str, detail: dict[str, Any],
               latency_ms: float = 0.0, prompt_tokens: int = 0,
               completion_tokens: int = 0) -> None:
        """Record the entry; tool and model calls also become spans of their latency."""
        self._inner.record(call_id=call_id, actor=actor, action=action, detail=detail,
                           latency_ms=latency_ms, prompt_tokens=prompt_tokens,
                           completion_tokens=completion_tokens)
        if not actor.startswith(("tool:", "model:")):
            return
        end = time.time_ns()
        span = self._tracer.start_span(
            actor, start_time=end - int(latency_ms * 1_000_000),
            attributes={"kcall.call_id": call_id, "kcall.action": action,
                        "llm.prompt_tokens": prompt_tokens,
                        "llm.completion_tokens": completion_tokens})
        span.end(end_time=end)
