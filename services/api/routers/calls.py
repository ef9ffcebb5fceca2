"""Call ingestion (start, transcript lines, audio chunks, end) and the call view."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, status

from agents.korean import redact
from services.api.deps import BackendsDep, require
from services.api.errors import ApiError, NotFound
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

CallId = Annotated[str, Path(pattern=CALL_ID_PATTERN)]
Writer = Annotated[Principal, Depends(require("calls:write"))]
Reader = Annotated[Principal, Depends(require("calls:read"))]


@router.post("", status_code=status.HTTP_202_ACCEPTED)
def start_call(body: StartCall, backends: BackendsDep, _: Writer) -> Accepted:
    """Open a call; the agent graph loads the customer."""
    call_id = body.call_id or f"api-{uuid.uuid4().hex[:16]}"
    event = CallStarted(call_id=call_id, customer_id=body.customer_id, source=body.source)  # type: ignore[arg-type]
    backends.publisher.publish(Topic.TRANSCRIPTS, event)
    return Accepted(call_id=call_id, message_id=event.message_id)


@router.post("/{call_id}/utterances", status_code=status.HTTP_202_ACCEPTED)
def add_utterance(
    call_id: CallId, body: TranscriptLine, backends: BackendsDep, _: Writer
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
    call_id: CallId,
    request: Request,
    backends: BackendsDep,
    _: Writer,
    channel: Annotated[Speaker, Query()],
    seq: Annotated[int, Query(ge=0)],
    sample_rate: Annotated[int, Query(ge=8000, le=48000)] = 16000,
    last: Annotated[bool, Query()] = False,
) -> Accepted:
    """A chunk of PCM16 mono audio as the raw request body (application/octet-stream)."""
    pcm = await request.body()
    if len(pcm) % 2:
        raise ApiError("PCM16 본문의 바이트 수가 홀수입니다 (odd number of PCM16 bytes)")
    if not pcm and not last:
        raise ApiError("빈 오디오 청크입니다 (empty audio chunk)")
    chunk = AudioChunk(
        call_id=call_id, seq=seq, channel=channel, sample_rate=sample_rate, pcm=pcm, last=last
    )
    backends.publisher.publish(Topic.AUDIO, chunk)
    return Accepted(call_id=call_id, message_id=chunk.message_id)


@router.post("/{call_id}/end", status_code=status.HTTP_202_ACCEPTED)
def end_call(call_id: CallId, body: EndCall, backends: BackendsDep, _: Writer) -> Accepted:
    """Close a text call (audio calls end with the `last` chunk of both channels)."""
    event = CallEnded(call_id=call_id, utterances=body.utterances, reason=body.reason)
    backends.publisher.publish(Topic.TRANSCRIPTS, event)
    return Accepted(call_id=call_id, message_id=event.message_id)


@router.get("/{call_id}")
def call_view(call_id: CallId, backends: BackendsDep, _: Reader) -> dict[str, Any]:
    """Timeline, insights and summary of a call."""
    view = backends.read_model.call_view(call_id)
    if view is None:
        raise NotFound(f"통화 {call_id}를 찾을 수 없습니다 (unknown call)")
    return view


@router.get("")
def recent_calls(
    backends: BackendsDep, _: Reader, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[dict[str, Any]]:
    """Latest calls, newest first."""
    return backends.read_model.recent_calls(limit=limit)
