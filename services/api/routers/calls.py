"""Call ingestion (start, transcript lines, audio chunks, end) and the call view."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, status
from starlette.concurrency import run_in_threadpool

from agents.korean import redact
from services.api.assistant import CHAT_THREAD_PREFIX
from services.api.deps import BackendsDep, require
from services.api.errors import ApiError, NotFound, UnsupportedMedia
from services.api.schemas import CALL_ID_PATTERN, Accepted, EndCall, StartCall, TranscriptLine
from services.api.security import Principal
from services.schemas import (
    AudioChunk,
    CallEnded,
    CallStarted,
    Speaker,
    Topic,
    Utterance,
)

router = APIRouter(prefix="/v1/calls", tags=["calls"])

_AUDIO_TYPES = {"application/octet-stream", "audio/l16", "audio/pcm"}


def _writable_call_id(call_id: Annotated[str, Path(pattern=CALL_ID_PATTERN)]) -> str:
    """A call id ingestion may write to: never an assistant chat session's thread."""
    _refuse_chat_thread(call_id)
    return call_id


def _refuse_chat_thread(call_id: str) -> None:
    if call_id.startswith(CHAT_THREAD_PREFIX):
        reserved = f"'{CHAT_THREAD_PREFIX}'로 시작하는 통화 ID는 챗봇 세션용입니다"
        raise ApiError(f"{reserved} (reserved call id prefix)")


CallId = Annotated[str, Path(pattern=CALL_ID_PATTERN)]
WritableCallId = Annotated[str, Depends(_writable_call_id)]
Writer = Annotated[Principal, Depends(require("calls:write"))]
Reader = Annotated[Principal, Depends(require("calls:read"))]


@router.post("", status_code=status.HTTP_202_ACCEPTED)
def start_call(_: Writer, body: StartCall, backends: BackendsDep) -> Accepted:
    """Open a call; the agent graph loads the customer."""
    call_id = body.call_id or f"api-{uuid.uuid4().hex[:16]}"
    _refuse_chat_thread(call_id)
    event = CallStarted(call_id=call_id, customer_id=body.customer_id, source=body.source)
    backends.publisher.publish(Topic.TRANSCRIPTS, event)
    return Accepted(call_id=call_id, message_id=event.message_id)


@router.post("/{call_id}/utterances", status_code=status.HTTP_202_ACCEPTED)
def add_utterance(
    _: Writer, call_id: WritableCallId, body: TranscriptLine, backends: BackendsDep
) -> Accepted:
    """One transcript line; PII is redacted here, before anything is written."""
    if body.end_ms and body.end_ms < body.start_ms:
        raise ApiError("end_ms는 start_ms보다 작을 수 없습니다 (end_ms < start_ms)")
    event = Utterance(
        call_id=call_id,
        seq=body.seq,
        speaker=body.speaker,
        text=redact(body.text).text,
        start_ms=body.start_ms,
        end_ms=max(body.end_ms, body.start_ms),
        confidence=body.confidence,
        source="text",
    )
    backends.publisher.publish(Topic.TRANSCRIPTS, event)
    return Accepted(call_id=call_id, message_id=event.message_id)


@router.post("/{call_id}/audio", status_code=status.HTTP_202_ACCEPTED)
async def add_audio(
    _: Writer,
    call_id: WritableCallId,
    request: Request,
    backends: BackendsDep,
    channel: Annotated[Speaker, Query()],
    seq: Annotated[int, Query(ge=0)],
    sample_rate: Annotated[int, Query(ge=8000, le=48000)] = 16000,
    last: Annotated[bool, Query()] = False,
) -> Accepted:
    """A chunk of PCM16 mono audio as the raw request body (application/octet-stream)."""
    media = request.headers.get("content-type", "application/octet-stream").split(";")[0]
    if media.strip().lower() not in _AUDIO_TYPES:
        raise UnsupportedMedia(
            f"오디오는 application/octet-stream 본문으로 보내 주세요 (got {media or 'none'})"
        )
    pcm = await request.body()
    if len(pcm) % 2:
        raise ApiError("PCM16 본문의 바이트 수가 홀수입니다 (odd number of PCM16 bytes)")
    if not pcm and not last:
        raise ApiError("빈 오디오 청크입니다 (empty audio chunk)")
    chunk = AudioChunk(
        call_id=call_id, seq=seq, channel=channel, sample_rate=sample_rate, pcm=pcm, last=last
    )
    # The acknowledgement wait blocks; keep it off the event loop.
    await run_in_threadpool(backends.publisher.publish, Topic.AUDIO, chunk)
    return Accepted(call_id=call_id, message_id=chunk.message_id)


@router.post("/{call_id}/end", status_code=status.HTTP_202_ACCEPTED)
def end_call(_: Writer, call_id: WritableCallId, body: EndCall, backends: BackendsDep) -> Accepted:
    """Close a text call (audio calls end with the `last` chunk of both channels)."""
    event = CallEnded(call_id=call_id, utterances=body.utterances, reason=body.reason)
    backends.publisher.publish(Topic.TRANSCRIPTS, event)
    return Accepted(call_id=call_id, message_id=event.message_id)


@router.get("/{call_id}")
def call_view(_: Reader, call_id: CallId, backends: BackendsDep) -> dict[str, Any]:
    """Timeline, insights and summary of a call."""
    view = backends.read_model.call_view(call_id)
    if view is None:
        raise NotFound(f"통화 {call_id}를 찾을 수 없습니다 (unknown call)")
    return view


@router.get("/{call_id}/audit")
def call_audit(
    _: Reader,
    call_id: CallId,
    backends: BackendsDep,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> list[dict[str, Any]]:
    """The call's audit trail: each node, tool call and model call, redacted, with tokens."""
    if backends.read_model.call_view(call_id) is None:
        raise NotFound(f"통화 {call_id}를 찾을 수 없습니다 (unknown call)")
    return backends.read_model.audit_trail(call_id, limit=limit)


@router.get("")
def recent_calls(
    _: Reader, backends: BackendsDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[dict[str, Any]]:
    """Latest calls, newest first."""
    return backends.read_model.recent_calls(limit=limit)
