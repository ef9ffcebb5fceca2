"""How simulated calls reach the system: straight to Kafka, or through the HTTP API.

Both transports implement `CallTransport`; `send_transcript` and `send_audio` play a whole
call through one, optionally paced at real time. Raw text never reaches Kafka: the Kafka
transport runs the caller's `redact` on every utterance (the simulator may not import the
agents' redactor, so the composition root injects it). The HTTP API redacts on ingestion.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from services.schemas import (
    AudioChunk,
    CallEnded,
    CallStarted,
    Redactor,
    Speaker,
    Topic,
    Utterance,
)
from simulator.timeline import Segment

if TYPE_CHECKING:
    import httpx

    from services.broker import Publisher
    from simulator.audio import CallAudio

__all__ = [
    "ApiPaths",
    "CallTransport",
    "HttpTransport",
    "KafkaTransport",
    "RawTextRefused",
    "send_audio",
    "send_transcript",
]


class RawTextRefused(RuntimeError):
    """A text utterance was about to be published without a redactor."""


class CallTransport(Protocol):
    """The four things a call source does."""

    async def start(self, call_id: str, customer_id: str) -> None:
        """Announce a call."""

    async def utterance(self, call_id: str, segment: Segment) -> None:
        """Send one transcript line (text mode)."""

    async def audio(self, chunk: AudioChunk) -> None:
        """Send one audio chunk (audio mode)."""

    async def end(self, call_id: str, utterances: int) -> None:
        """Close a text-mode call; audio calls end with each channel's `last` chunk."""

    async def flush(self) -> None:
        """Wait until everything sent is acknowledged."""


class KafkaTransport:
    """Publishes contract messages with the broker adapter's `Publisher`."""

    def __init__(self, publisher: Publisher, *, redact: Redactor | None) -> None:
        self._publisher = publisher
        self._redact = redact

    async def start(self, call_id: str, customer_id: str) -> None:
        """CallStarted on the transcripts topic."""
        event = CallStarted(call_id=call_id, customer_id=customer_id)
        self._publisher.send(Topic.TRANSCRIPTS, event)

    async def utterance(self, call_id: str, segment: Segment) -> None:
        """A redacted Utterance on the transcripts topic."""
        if self._redact is None:
            raise RawTextRefused("KafkaTransport needs redact= to publish text utterances")
        text, identifiers = self._redact(segment.text)
        event = Utterance(
            call_id=call_id,
            seq=segment.seq,
            speaker=segment.speaker,
            text=text,
            identifiers=identifiers,
            start_ms=segment.start_ms,
            end_ms=segment.end_ms,
            confidence=1.0,
            source="text",
        )
        self._publisher.send(Topic.TRANSCRIPTS, event)

    async def audio(self, chunk: AudioChunk) -> None:
        """An AudioChunk on the audio topic (binary frame)."""
        self._publisher.send(Topic.AUDIO, chunk)

    async def end(self, call_id: str, utterances: int) -> None:
        """CallEnded with the utterance count the agent waits for."""
        self._publisher.send(Topic.TRANSCRIPTS, CallEnded(call_id=call_id, utterances=utterances))

    async def flush(self) -> None:
        """Block (in a worker thread) until the broker acknowledged everything."""
        await asyncio.to_thread(self._publisher.flush)


class ApiPaths:
    """The call-ingestion endpoints of the HTTP API, in one place."""

    START = "/v1/calls"
    UTTERANCES = "/v1/calls/{call_id}/utterances"
    AUDIO = "/v1/calls/{call_id}/audio"
    END = "/v1/calls/{call_id}/end"


class HttpTransport:
    """Posts calls to the API with httpx; the API key travels in `X-API-Key`."""

    def __init__(self, client: httpx.AsyncClient, *, api_key: str) -> None:
        self._client = client
        self._headers = {"X-API-Key": api_key}

    async def _post(
        self, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> None:
        response = await self._client.post(path, headers=headers or self._headers, **kwargs)
        response.raise_for_status()

    async def start(self, call_id: str, customer_id: str) -> None:
        """POST /v1/calls."""
        await self._post(ApiPaths.START, json={"call_id": call_id, "customer_id": customer_id})

    async def utterance(self, call_id: str, segment: Segment) -> None:
        """POST /v1/calls/{call_id}/utterances (the API redacts)."""
        body = {
            "seq": segment.seq,
            "speaker": segment.speaker.value,
            "text": segment.text,
            "start_ms": segment.start_ms,
            "end_ms": segment.end_ms,
        }
        await self._post(ApiPaths.UTTERANCES.format(call_id=call_id), json=body)

    async def audio(self, chunk: AudioChunk) -> None:
        """POST /v1/calls/{call_id}/audio with the PCM as the body."""
        params = {
            "channel": chunk.channel.value,
            "seq": chunk.seq,
            "sample_rate": chunk.sample_rate,
            "last": str(chunk.last).lower(),
        }
        await self._post(
            ApiPaths.AUDIO.format(call_id=chunk.call_id),
            params=params,
            content=chunk.pcm,
            headers={**self._headers, "Content-Type": "application/octet-stream"},
        )

    async def end(self, call_id: str, utterances: int) -> None:
        """POST /v1/calls/{call_id}/end."""
        await self._post(ApiPaths.END.format(call_id=call_id), json={"utterances": utterances})

    async def flush(self) -> None:
        """Nothing is buffered: every POST was acknowledged when it returned."""


async def _pace(started: float, at_ms: int, realtime: float) -> None:
    if realtime > 0:
        delay = started + at_ms / 1000 / realtime - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


async def send_transcript(
    transport: CallTransport,
    call_id: str,
    customer_id: str,
    segments: list[Segment],
    *,
    realtime: float = 0.0,
    on_sent: Callable[[int], None] | None = None,
) -> int:
    """Play a call in transcript mode: start, each utterance at its end time, end.

    `realtime` = 1.0 paces at real speed, 2.0 twice as fast, 0 as fast as possible;
    `on_sent(seq)` is called right after each utterance is handed over (for latency).
    """
    started = time.monotonic()
    await transport.start(call_id, customer_id)
    for segment in segments:
        await _pace(started, segment.end_ms, realtime)
        await transport.utterance(call_id, segment)
        if on_sent is not None:
            on_sent(segment.seq)
    await transport.end(call_id, len(segments))
    return len(segments)


async def send_audio(
    transport: CallTransport,
    call_id: str,
    customer_id: str,
    audio: CallAudio,
    *,
    chunk_ms: int = 200,
    realtime: float = 0.0,
    on_sent: Callable[[int], None] | None = None,
) -> int:
    """Play a call in audio mode: start, then both channels' chunks interleaved in time order.

    `on_sent(i)` is called once chunk `i` of both channels is handed over (for latency).
    """
    from simulator.audio import chunk_audio

    started = time.monotonic()
    await transport.start(call_id, customer_id)
    per_channel = {
        speaker: chunk_audio(call_id, speaker, np.asarray(pcm), audio.sample_rate, chunk_ms)
        for speaker, pcm in audio.channels.items()
    }
    sent = 0
    for i in range(max(len(chunks) for chunks in per_channel.values())):
        await _pace(started, (i + 1) * chunk_ms, realtime)
        for speaker in (Speaker.CUSTOMER, Speaker.AGENT):
            if i < len(per_channel[speaker]):
                await transport.audio(per_channel[speaker][i])
                sent += 1
        if on_sent is not None:
            on_sent(i)
    return sent
