"""Bytes on the wire: JSON for text messages, a framed binary layout for audio.

Audio frame: b"KCA1" | uint32 big-endian header length | UTF-8 JSON header | raw PCM16.
Serialization happens only here, at the adapter edge.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from pydantic import TypeAdapter, ValidationError

from services.schemas.calls import (
    AudioChunk,
    CallInsight,
    CallSummary,
    TranscriptEvent,
)
from services.schemas.topics import Topic

AUDIO_MAGIC = b"KCA1"
_HEADER = struct.Struct(">I")

Message = AudioChunk | TranscriptEvent | CallInsight | CallSummary

_transcript_adapter: TypeAdapter[Any] = TypeAdapter(TranscriptEvent)


class DecodeError(ValueError):
    """The bytes are not a valid message of the topic's contract (a poison message)."""


def encode(message: Message) -> bytes:
    """Serialize a message for its topic."""
    if isinstance(message, AudioChunk):
        header = message.model_dump(mode="json", exclude={"pcm"})
        header_bytes = json.dumps(header, ensure_ascii=False).encode()
        return AUDIO_MAGIC + _HEADER.pack(len(header_bytes)) + header_bytes + message.pcm
    return message.model_dump_json().encode()


def decode(topic: Topic | str, value: bytes | None) -> Message:
    """Parse bytes read from `topic`; raises DecodeError on anything malformed."""
    if value is None:
        raise DecodeError("empty message value (tombstone)")
    topic = Topic(topic)
    try:
        if topic is Topic.AUDIO:
            return _decode_audio(value)
        if topic is Topic.TRANSCRIPTS:
            return _transcript_adapter.validate_json(value)  # type: ignore[no-any-return]
        if topic is Topic.INSIGHTS:
            return CallInsight.model_validate_json(value)
        return CallSummary.model_validate_json(value)
    except ValidationError as exc:
        raise DecodeError(
            f"{topic.value}: {exc.error_count()} invalid field(s): {exc.errors()[0]['msg']}"
        ) from exc


def _decode_audio(value: bytes) -> AudioChunk:
    if not value.startswith(AUDIO_MAGIC) or len(value) < 8:
        raise DecodeError("audio frame does not start with KCA1")
    (header_len,) = _HEADER.unpack_from(value, 4)
    header_end = 8 + header_len
    if header_end > len(value):
        raise DecodeError("audio frame header length runs past the end")
    try:
        header = json.loads(value[8:header_end])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecodeError(f"audio frame header is not JSON: {exc}") from exc
    pcm = value[header_end:]
    if len(pcm) % 2:
        raise DecodeError("PCM16 payload has an odd number of bytes")
    return AudioChunk.model_validate({**header, "pcm": pcm})
