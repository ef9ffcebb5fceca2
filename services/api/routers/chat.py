"""Assistant chat: streamed replies from the same agent graph, on the chat channel's limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import StreamingResponse

from agents.korean import redact
from services.api.deps import BackendsDep, require
from services.api.errors import Unavailable
from services.api.schemas import CALL_ID_PATTERN, ChatRequest
from services.api.security import Principal

router = APIRouter(prefix="/v1/chat", tags=["chat"])

Chatter = Annotated[Principal, Depends(require("chat"))]


@router.post("/{session_id}/messages")
async def send_message(
    session_id: Annotated[str, Path(pattern=CALL_ID_PATTERN)],
    body: ChatRequest,
    backends: BackendsDep,
    _: Chatter,
) -> StreamingResponse:
    """Server-sent events: `data: <piece>` lines, then `event: done`."""
    if backends.chat is None:
        raise Unavailable("상담 챗봇이 아직 준비되지 않았습니다 (assistant not configured)")
    pieces = backends.chat.reply(
        session_id=session_id, customer_id=body.customer_id, text=redact(body.text).text
    )
    return StreamingResponse(_as_sse(pieces), media_type="text/event-stream")


async def _as_sse(pieces: AsyncIterator[str]) -> AsyncIterator[bytes]:
    async for piece in pieces:
        for line in piece.splitlines() or [""]:
            yield f"data: {line}\n".encode()
        yield b"\n"
    yield b"event: done\ndata: \n\n"
