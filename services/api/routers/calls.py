"""Call ingestion (start, transcript lines, audio chunks, end) and the call view."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, status
from starlette.concurrency import run_in_threadpool

from services.api.assistant import CHAT_THREAD_PREFIX
from services.api.deps import BackendsDep, ReaderDep, StaffDep, record_read, require
from services.api.errors import ApiError, NotFound, PayloadTooLarge, UnsupportedMedia
from services.api.identifiers import reveal_identifiers
from services.api.lifecycle import check_can_start, check_can_write
from services.api.schemas import CALL_ID_PATTERN, Accepted, EndCall, StartCall, TranscriptLine
from services.api.security import Principal
from services.privacy import redact_and_seal
from services.schemas import (
    AudioChunk,
    CallEnded,
    CallStarted,
    Speaker,
    Topic,
    Utterance,
)
from services.schemas.limits import (
    MAX_AUDIO_PCM_BYTES,
    MAX_AUDIO_SEQ,
    MAX_SAMPLE_RATE,
    MIN_SAMPLE_RATE,
)

router = APIRouter(prefix="/v1/calls", tags=["calls"])

_AUDIO_TYPES = {"application/octet-stream", "audio/l16", "audio/pcm"}
# Documented in the OpenAPI schema; the body is {"error": code, "detail": reason}.
_LIFECYCLE: dict[int | str, dict[str, Any]] = {
    404: {"description": "통화가 시작되지 않았습니다 (call not started: POST /v1/calls first)"},
    409: {"description": "통화가 이미 종료되었습니다 (call already ended)"},
}


def _writable_call_id(call_id: Annotated[str, Path(pattern=CALL_ID_PATTERN)]) -> str:
    """A call id ingestion may write to: never an assistant chat session's thread."""
    _refuse_chat_thread(call_id)
    return call_id


def _refuse_chat_thread(call_id: str) -> None:
    if call_id.startswith(CHAT_THREAD_PREFIX):
        reserved = f"'{CHAT_THREAD_PREFIX}'로 시작하는 통화 ID는 챗봇 세션용입니다"
        raise ApiError(f"{reserved} (reserved call id prefix)")


def _check_started(call_id: str, backends: BackendsDep) -> None:
    """Only a started call takes utterances, audio and its end (else 404 or 409).

    Checked after the request's own shape, so a malformed request is a 4xx about itself.
    """
    check_can_write(call_id, backends.calls.record(call_id))


CallId = Annotated[str, Path(pattern=CALL_ID_PATTERN)]
WritableCallId = Annotated[str, Depends(_writable_call_id)]
Writer = Annotated[Principal, Depends(require("calls:write"))]


@router.post("", status_code=status.HTTP_202_ACCEPTED, responses={
    409: {"description": "이미 종료된 통화이거나 다른 고객으로 시작된 통화입니다 "
                         "(call ended, or started for another customer)"}})
def start_call(_: Writer, body: StartCall, backends: BackendsDep) -> Accepted:
    """Open a call; the agent graph loads the customer.

    Repeating the start of a started call (same customer) is a retry; an ended call, or a
    started one of another customer, is a 409.
    """
    call_id = body.call_id or f"api-{uuid.uuid4().hex[:16]}"
    _refuse_chat_thread(call_id)
    check_can_start(call_id, backends.calls.record(call_id), customer_id=body.customer_id)
    event = CallStarted(call_id=call_id, customer_id=body.customer_id, source=body.source)
    # Recorded before it is published, so the client's first utterance finds the call.
    backends.calls.started(event)
    backends.publisher.publish(Topic.TRANSCRIPTS, event)
    return Accepted(call_id=call_id, message_id=event.message_id)


@router.post("/{call_id}/utterances", status_code=status.HTTP_202_ACCEPTED, responses=_LIFECYCLE)
def add_utterance(
    _: Writer, call_id: WritableCallId, body: TranscriptLine, backends: BackendsDep
) -> Accepted:
    """One transcript line of a started call; PII is redacted here, before anything is written."""
    if body.end_ms and body.end_ms < body.start_ms:
        raise ApiError("end_ms는 start_ms보다 작을 수 없습니다 (end_ms < start_ms)")
    _check_started(call_id, backends)
    text, identifiers = redact_and_seal(body.text, backends.vault)
    event = Utterance(
        call_id=call_id,
        seq=body.seq,
        speaker=body.speaker,
        text=text,
        identifiers=identifiers,
        start_ms=body.start_ms,
        end_ms=max(body.end_ms, body.start_ms),
        confidence=body.confidence,
        source="text",
    )
    backends.publisher.publish(Topic.TRANSCRIPTS, event)
    return Accepted(call_id=call_id, message_id=event.message_id)


@router.post("/{call_id}/audio", status_code=status.HTTP_202_ACCEPTED, responses=_LIFECYCLE)
async def add_audio(
    _: Writer,
    call_id: WritableCallId,
    request: Request,
    backends: BackendsDep,
    channel: Annotated[Speaker, Query()],
    seq: Annotated[int, Query(ge=0, le=MAX_AUDIO_SEQ)],
    sample_rate: Annotated[int, Query(ge=MIN_SAMPLE_RATE, le=MAX_SAMPLE_RATE)] = 16000,
    last: Annotated[bool, Query()] = False,
) -> Accepted:
    """A chunk of PCM16 mono audio of a started call as the raw request body."""
    media = request.headers.get("content-type", "application/octet-stream").split(";")[0]
    if media.strip().lower() not in _AUDIO_TYPES:
        raise UnsupportedMedia(
            f"오디오는 application/octet-stream 본문으로 보내 주세요 (got {media or 'none'})"
        )
    pcm = await request.body()
    if len(pcm) > MAX_AUDIO_PCM_BYTES:  # only when api.max_body_bytes is set above it
        raise PayloadTooLarge(
            f"오디오 청크가 {MAX_AUDIO_PCM_BYTES} 바이트를 넘습니다 "
            f"(audio chunk over the {MAX_AUDIO_PCM_BYTES}-byte limit; send shorter chunks)"
        )
    if len(pcm) % 2:
        raise ApiError("PCM16 본문의 바이트 수가 홀수입니다 (odd number of PCM16 bytes)")
    if not pcm and not last:
        raise ApiError("빈 오디오 청크입니다 (empty audio chunk)")
    await run_in_threadpool(_check_started, call_id, backends)
    chunk = AudioChunk(
        call_id=call_id, seq=seq, channel=channel, sample_rate=sample_rate, pcm=pcm, last=last
    )
    # The acknowledgement wait blocks; keep it off the event loop.
    await run_in_threadpool(backends.publisher.publish, Topic.AUDIO, chunk)
    return Accepted(call_id=call_id, message_id=chunk.message_id)


@router.post("/{call_id}/end", status_code=status.HTTP_202_ACCEPTED, responses=_LIFECYCLE)
def end_call(_: Writer, call_id: WritableCallId, body: EndCall, backends: BackendsDep) -> Accepted:
    """Close a started text call (audio calls end with the `last` chunk of both channels)."""
    _check_started(call_id, backends)
    event = CallEnded(call_id=call_id, utterances=body.utterances, reason=body.reason)
    backends.publisher.publish(Topic.TRANSCRIPTS, event)
    # Recorded after it is on Kafka: a client whose end failed to publish may retry it.
    backends.calls.ended(event)
    return Accepted(call_id=call_id, message_id=event.message_id)


def _visible_call(principal: Principal, call_id: str, backends: BackendsDep) -> dict[str, Any]:
    """The call's view if the caller may see it; another customer's call is "not found"."""
    view = backends.read_model.call_view(call_id)
    owner = None if view is None else _call_owner(view)
    if view is None or (principal.customer_id is not None and owner != principal.customer_id):
        raise NotFound(f"통화 {call_id}를 찾을 수 없습니다 (unknown call)")
    record_read(backends, principal, resource="call", resource_id=call_id, customer_id=owner)
    return view


def _call_owner(view: dict[str, Any]) -> str | None:
    call = view.get("call")
    owner = call.get("customer_id") if isinstance(call, dict) else None
    return owner if isinstance(owner, str) else None


@router.get("/{call_id}")
def call_view(principal: ReaderDep, call_id: CallId, backends: BackendsDep) -> dict[str, Any]:
    """Timeline, insights and summary of a call (a customer key: only its own calls).

    Numbers said in the call are masked; the call's own customer also gets their values.
    """
    view = _visible_call(principal, call_id, backends)
    owner = principal.customer_id is not None  # _visible_call let only the owner's key in
    return reveal_identifiers(view, backends.vault, owner=owner)


@router.get("/{call_id}/audit")
def call_audit(
    principal: StaffDep,
    call_id: CallId,
    backends: BackendsDep,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> list[dict[str, Any]]:
    """The call's audit trail: each node, tool call and model call, redacted, with tokens."""
    _visible_call(principal, call_id, backends)
    return backends.read_model.audit_trail(call_id, limit=limit)


@router.get("")
def recent_calls(
    principal: ReaderDep,
    backends: BackendsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    call_status: Annotated[Literal["active", "ended"] | None, Query(alias="status")] = None,
    customer_id: Annotated[str | None, Query(pattern=CALL_ID_PATTERN)] = None,
) -> list[dict[str, Any]]:
    """Latest calls, newest first: pages of `limit` from `offset`, by status and customer.

    A customer key lists only its own calls, whatever `customer_id` says.
    """
    own = principal.customer_id
    if own is not None and customer_id not in (None, own):
        return []  # another customer's calls do not exist for this key
    wanted = own or customer_id
    record_read(backends, principal, resource="calls", resource_id="recent", customer_id=wanted)
    return backends.read_model.recent_calls(
        limit=limit, offset=offset, status=call_status, customer_id=wanted
    )
