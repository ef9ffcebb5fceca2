"""CLI command: `kcall trace CALL_ID` prints a call's spans as a waterfall."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

_BAR = 40


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("trace")(trace_command)


def trace_command(
    call_id: Annotated[str, typer.Argument(help="the call whose spans to show")],
    file: Annotated[
        Path | None, typer.Option(help="spans file (default KCALL_TRACE_FILE)")
    ] = None,
) -> None:
    """Print a call's spans (every stage, every worker) as a waterfall, from the spans file."""
    from services.config import get_settings
    from services.observability.tracing import spans_file

    path = file or spans_file(get_settings())
    if not path.is_file():
        typer.echo(f"no spans file at {path} (spans go to OTLP when KCALL_TRACE_OTLP_ENDPOINT "
                   "is set)", err=True)  # fmt: skip
        raise typer.Exit(1)
    spans = load_call_spans(path, call_id)
    if not spans:
        typer.echo(f"no spans of call {call_id} in {path}", err=True)
        raise typer.Exit(1)
    for line in waterfall(spans):
        typer.echo(line)


def load_call_spans(path: Path, call_id: str) -> list[dict[str, Any]]:
    """The spans of `call_id` in a JSON-lines spans file (unreadable lines skipped)."""
    spans = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                span = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a crash mid-write
            attributes = span.get("attributes") if isinstance(span, dict) else None
            if isinstance(attributes, dict) and attributes.get("kcall.call_id") == call_id:
                spans.append(span)
    return spans


def waterfall(spans: list[dict[str, Any]]) -> list[str]:
    """Lines: offset from the call's first span, duration, a bar, the span tree by parent."""
    start = min(int(s["start_ns"]) for s in spans)
    end = max(int(s["end_ns"] or s["start_ns"]) for s in spans)
    total = max(end - start, 1)
    ids = {s["span_id"] for s in spans}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for span in spans:
        parent = span["parent_id"] if span["parent_id"] in ids else None
        children.setdefault(parent, []).append(span)
    traces = sorted({s["trace_id"] for s in spans})
    lines = [
        f"call {spans[0]['attributes']['kcall.call_id']}: {len(spans)} spans over "
        f"{total / 1e9:.3f} s, trace {', '.join(traces)}",
        f"{'start':>9} {'duration':>9}  {'':{_BAR}}  span",
    ]

    def walk(parent: str | None, depth: int) -> None:
        for span in sorted(children.get(parent, []), key=lambda s: (s["start_ns"], s["name"])):
            begin = int(span["start_ns"]) - start
            length = int(span["end_ns"] or span["start_ns"]) - int(span["start_ns"])
            left = min(_BAR - 1, begin * _BAR // total)
            width = max(1, min(_BAR - left, length * _BAR // total))
            bar = " " * left + "█" * width + " " * (_BAR - left - width)
            attributes = span.get("attributes", {})
            what = attributes.get("kcall.kind") or ""
            where = span.get("service") or attributes.get("kcall.stage", "")
            lines.append(
                f"{begin / 1e9:>8.3f}s {length / 1e6:>7.1f}ms  {bar}  "
                f"{'  ' * depth}{span['name']} {what} [{where}]".rstrip()
            )
            walk(span["span_id"], depth + 1)

    walk(None, 0)
    return lines
