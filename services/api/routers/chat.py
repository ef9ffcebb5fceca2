"""Assistant chat: streamed replies from the same agent graph, on the chat channel's limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import StreamingResponse

from agents.korean import redact
from services.api.deps import BackendsDep, require
from services.api.errors import Conflict, Unavailable
from services.api.schemas import SESSION_ID_PATTERN, ChatRequest
from services.api.security import Principal

router = APIRouter(prefix="/v1/chat", tags=["chat"])

Chatter = Annotated[Principal, Depends(require("chat"))]


@router.post("/{session_id}/messages")
async def send_message(
    _: Chatter,
    session_id: Annotated[str, Path(pattern=SESSION_ID_PATTERN)],
    body: ChatRequest,
    backends: BackendsDep,
) -> StreamingResponse:
    """Server-sent events: `data: <piece>` lines, then `event: done`.

    The first piece is awaited before the response starts, so a refusal (another
    customer's session, a backend down) is still a proper 4xx/5xx, not a broken stream.
    """
    if backends.chat is None:
        reason = backends.chat_unavailable or "assistant not configured"
        raise Unavailable(f"상담 챗봇이 아직 준비되지 않았습니다 ({reason})")
    pieces = backends.chat.reply(
        session_id=session_id, customer_id=body.customer_id, text=redact(body.text).text
    )
    try:
        first: str | None = await anext(pieces)
    except StopAsyncIteration:
        first = None
    except ValueError as exc:
        raise Conflict(str(exc)) from exc
    return StreamingResponse(
        _as_sse(first, pieces),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _as_sse(first: str | None, rest: AsyncIterator[str]) -> AsyncIterator[bytes]:
    if first is not None:
        yield _event(first)
        async for piece in rest:
            yield _event(piece)
    yield b"event: done\ndata: \n\n"


def _event(piece: str) -> bytes:
    # One SSE event per piece; a newline inside a piece becomes another data line.
    return "".join(f"data: {line}\n" for line in piece.splitlines() or [""]).encode() + b"\n"
