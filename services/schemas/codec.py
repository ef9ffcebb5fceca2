"""Bytes on the wire: JSON for text messages, a framed binary layout for audio.

Audio frame: b"KCA1" | uint32 big-endian header length | UTF-8 JSON header | raw PCM16.
Serialization happens only here, at the adapter edge.

`decode` never raises anything but DecodeError (UnknownSchemaVersion for a version this
build does not read), whatever the bytes: the runner dead-letters exactly that.
"""

from __future__ import annotations

import json
import re
import struct
from typing import Any

from pydantic import TypeAdapter, ValidationError

from services.schemas.base import SCHEMA_VERSION
from services.schemas.calls import (
    AudioChunk,
    CallInsight,
    CallSummary,
    TranscriptEvent,
)
from services.schemas.fraud import GuardianAlert, PhishingAlert
from services.schemas.handoffs import HandoffRequested
from services.schemas.limits import MAX_AUDIO_HEADER_BYTES, MAX_MESSAGE_BYTES
from services.schemas.model import ModelRequest
from services.schemas.topics import Topic

AUDIO_MAGIC = b"KCA1"
_HEADER = struct.Struct(">I")
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")

Message = (AudioChunk | TranscriptEvent | CallInsight | CallSummary | ModelRequest
           | PhishingAlert | GuardianAlert | HandoffRequested)

_transcript_adapter: TypeAdapter[Any] = TypeAdapter(TranscriptEvent)


class DecodeError(ValueError):
    """The bytes are not a valid message of the topic's contract (a poison message)."""


class UnknownSchemaVersion(DecodeError):
    """The message declares a `schema_version` this build does not read."""

    def __init__(self, topic: str, version: object) -> None:
        shown = repr(version)
        shown = shown if len(shown) <= 24 else shown[:24] + "..."
        super().__init__(
            f"{topic}: unknown schema_version {shown} (this build reads {SCHEMA_VERSION})"
        )
        self.version = version


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
    try:
        topic = Topic(topic)
    except ValueError:
        raise DecodeError(f"no message contract for topic {str(topic)[:80]!r}") from None
    if len(value) > MAX_MESSAGE_BYTES:
        raise DecodeError(
            f"{topic.value}: {len(value)} bytes, over the {MAX_MESSAGE_BYTES}-byte message limit"
        )
    try:
        message = _parse(topic, value)
    except ValidationError as exc:
        _check_version(topic, _declared_version(topic, value))
        first = exc.errors()[0]
        where = ".".join(_loc_part(part) for part in first["loc"]) or "message"
        raise DecodeError(
            f"{topic.value}: {exc.error_count()} invalid field(s): {where}: {first['msg']}"
        ) from exc
    except DecodeError:
        raise
    except Exception as exc:  # any other parser failure is still one poison message
        raise DecodeError(f"{topic.value}: unreadable message ({type(exc).__name__})") from exc
    _check_version(topic, message.schema_version)
    return message


def _parse(topic: Topic, value: bytes) -> Message:
    if topic is Topic.AUDIO:
        return _decode_audio(value)
    if topic is Topic.TRANSCRIPTS:
        return _transcript_adapter.validate_json(value)  # type: ignore[no-any-return]
    if topic is Topic.INSIGHTS:
        return CallInsight.model_validate_json(value)
    if topic is Topic.MODEL_REQUESTS:
        return ModelRequest.model_validate_json(value)
    if topic is Topic.PHISHING_ALERTS:
        return PhishingAlert.model_validate_json(value)
    if topic is Topic.GUARDIAN_ALERTS:
        return GuardianAlert.model_validate_json(value)
    if topic is Topic.HANDOFFS:
        return HandoffRequested.model_validate_json(value)
    return CallSummary.model_validate_json(value)


def _loc_part(part: object) -> str:
    # Field names and list indices only: a key the sender made up (maybe a phone number)
    # must not reach the error message, which is logged.
    text = str(part)
    return text if isinstance(part, int) or _FIELD_NAME.fullmatch(text) else "?"


def _check_version(topic: Topic, version: object) -> None:
    if version is None:
        return  # absent or unreadable: the validation error says what is wrong
    if isinstance(version, bool) or version != SCHEMA_VERSION:
        raise UnknownSchemaVersion(topic.value, version)


def _declared_version(topic: Topic, value: bytes) -> object:
    """The `schema_version` a message that failed validation declares, if any (best effort)."""
    try:
        document = _audio_header(value) if topic is Topic.AUDIO else json.loads(value)
    except Exception:  # noqa: BLE001 - unreadable: no version to report
        return None
    if isinstance(document, dict) and isinstance(document.get("schema_version"), int):
        return document["schema_version"]
    return None


def _decode_audio(value: bytes) -> AudioChunk:
    header = _audio_header(value)
    pcm = value[8 + _HEADER.unpack_from(value, 4)[0] :]
    if len(pcm) % 2:
        raise DecodeError("PCM16 payload has an odd number of bytes")
    return AudioChunk.model_validate({**header, "pcm": pcm})


def audio_header(value: bytes) -> dict[str, Any]:
    """The JSON header of an audio frame without its PCM (for dead letters); DecodeError if bad."""
    return _audio_header(value)


def _audio_header(value: bytes) -> dict[str, Any]:
    if not value.startswith(AUDIO_MAGIC) or len(value) < 8:
        raise DecodeError("audio frame does not start with KCA1")
    (header_len,) = _HEADER.unpack_from(value, 4)
    if header_len > MAX_AUDIO_HEADER_BYTES:
        raise DecodeError(
            f"audio frame header is {header_len} bytes, over the {MAX_AUDIO_HEADER_BYTES} limit"
        )
    header_end = 8 + header_len
    if header_end > len(value):
        raise DecodeError("audio frame header length runs past the end")
    try:
        header = json.loads(value[8:header_end])
    except (ValueError, RecursionError) as exc:  # bad UTF-8 or JSON, or nested too deep
        raise DecodeError(f"audio frame header is not JSON ({type(exc).__name__})") from exc
    if not isinstance(header, dict):
        raise DecodeError(f"audio frame header is a JSON {type(header).__name__}, not an object")
    if "pcm" in header:
        raise DecodeError("audio frame header carries a 'pcm' field (the PCM follows the header)")
    return header
