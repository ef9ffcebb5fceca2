"""Server-sent events: turn response lines into event data payloads (the WHATWG rules we need)."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

__all__ = ["DONE", "iter_sse_data"]

DONE = "[DONE]"


async def iter_sse_data(lines: AsyncIterable[str]) -> AsyncIterator[str]:
    """Yield each event's data; `data:` lines of one event are joined with newlines.

    Comment lines (`: ping`) and the `event:`/`id:`/`retry:` fields are skipped; an event
    is dispatched on a blank line, and a last event without one is still delivered.
    """
    buffer: list[str] = []
    async for raw in lines:
        line = raw.rstrip("\r")
        if not line:
            if buffer:
                yield "\n".join(buffer)
                buffer = []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if field == "data":
            buffer.append(value[1:] if value.startswith(" ") else value)
    if buffer:
        yield "\n".join(buffer)
