"""Assistant chat: streamed replies from the same agent graph, on the chat channel's limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import StreamingResponse

from agents.korean import redact
from services.api.backends import AssistantChat
from services.api.deps import BackendsDep, record_read, require
from services.api.errors import Forbidden, NotFound, Unavailable
from services.api.schemas import SESSION_ID_PATTERN, ChatRequest
from services.api.security import Principal
from services.api.wording import ReplyReset

router = APIRouter(prefix="/v1/chat", tags=["chat"])

Chatter = Annotated[Principal, Depends(require("chat"))]


@router.post("/{session_id}/messages")
async def send_message(
    principal: Chatter,
    session_id: Annotated[str, Path(pattern=SESSION_ID_PATTERN)],
    body: ChatRequest,
    backends: BackendsDep,
) -> StreamingResponse:
    """Server-sent events: `data: <piece>` lines as the reply comes, then `event: done`.

    A reply worded by code arrives at once, sentence by sentence; one worded by the model
    arrives word by word as it is generated. `event: reset` carries a whole reply that
    replaces the pieces before it (the model's wording failed a check mid-way).

    The customer is the authenticated principal's (a customer key), never the body's.
    The first piece is awaited before the response starts, so a refusal (another
    customer's session: 404, a backend down: 503) is still a proper answer, not a broken
    stream.
    """
    chat, customer_id = _chat_of(principal, backends)
    record_read(
        backends,
        principal,
        resource="chat_session",
        resource_id=session_id,
        customer_id=customer_id,
    )
    pieces = chat.reply(
        session_id=session_id, customer_id=customer_id, text=redact(body.text).text
    )
    try:
        first: str | None = await anext(pieces)
    except StopAsyncIteration:
        first = None
    except ValueError as exc:
        raise NotFound(f"대화 세션 {session_id}를 찾을 수 없습니다 (unknown session)") from exc
    return StreamingResponse(
        _as_sse(first, pieces),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/{session_id}")
def session(
    principal: Chatter,
    session_id: Annotated[str, Path(pattern=SESSION_ID_PATTERN)],
    backends: BackendsDep,
) -> dict[str, Any]:
    """The caller's own session: recent turns (redacted), disputes and credits.

    Another customer's session, like an unknown one, is 404.
    """
    chat, customer_id = _chat_of(principal, backends)
    found = chat.session(session_id=session_id, customer_id=customer_id)
    if found is None:
        raise NotFound(f"대화 세션 {session_id}를 찾을 수 없습니다 (unknown session)")
    record_read(
        backends,
        principal,
        resource="chat_session",
        resource_id=session_id,
        customer_id=customer_id,
    )
    return found


def _chat_of(principal: Principal, backends: BackendsDep) -> tuple[AssistantChat, str]:
    """The assistant and the caller's customer id; 403 for a non-customer key, 503 if down."""
    if principal.customer_id is None:
        raise Forbidden("챗봇은 고객 키로만 이용할 수 있습니다 (chat needs a customer key)")
    if backends.chat is None:
        reason = backends.chat_unavailable or "assistant not configured"
        raise Unavailable(f"상담 챗봇이 아직 준비되지 않았습니다 ({reason})")
    return backends.chat, principal.customer_id


async def _as_sse(first: str | None, rest: AsyncIterator[str]) -> AsyncIterator[bytes]:
    if first is not None:
        yield _event(first)
        async for piece in rest:
            yield _event(piece)
    yield b"event: done\ndata: \n\n"


def _event(piece: str) -> bytes:
    # One SSE event per piece; a newline inside a piece becomes another data line. A reset
    # replaces what the client has shown of this reply (streamed wording that failed a check).
    head = "event: reset\n" if isinstance(piece, ReplyReset) else ""
    lines = "".join(f"data: {line}\n" for line in piece.splitlines() or [""])
    return (head + lines).encode() + b"\n"
