"""Transports: Kafka messages are redacted contract messages; HTTP hits the documented paths."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
import pytest

from services.schemas import AudioChunk, CallEnded, CallStarted, Message, Speaker, Utterance
from simulator import (
    ApiPaths,
    HttpTransport,
    KafkaTransport,
    RawTextRefused,
    generate_calls,
    generate_world,
    send_transcript,
    text_timeline,
)
from simulator.timeline import Segment


class FakePublisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Message]] = []
        self.flushed = 0

    def send(self, topic: str, message: Message) -> None:
        self.sent.append((str(topic), message))

    def flush(self, timeout_s: float | None = None) -> None:
        self.flushed += 1


def _call():  # type: ignore[no-untyped-def]
    world = generate_world(seed=1, customers=5, today=date(2025, 6, 15))
    return generate_calls(world, seed=1, n=1)[0]


def test_kafka_transcript_mode_redacts_and_counts() -> None:
    call = _call()
    publisher = FakePublisher()
    transport = KafkaTransport(publisher, redact=lambda text: ("[REDACTED]", []))  # type: ignore[arg-type]
    segments = text_timeline(call)
    marked: list[int] = []
    n = asyncio.run(
        send_transcript(transport, call.call_id, call.customer_id, segments, on_sent=marked.append)
    )
    assert marked == list(range(n))
    asyncio.run(transport.flush())
    kinds = [type(m) for _, m in publisher.sent]
    assert kinds == [CallStarted, *[Utterance] * n, CallEnded]
    assert {t for t, _ in publisher.sent} == {"calls.transcripts.v1"}
    utterances = [m for _, m in publisher.sent if isinstance(m, Utterance)]
    assert all(u.text == "[REDACTED]" for u in utterances)
    assert [u.seq for u in utterances] == list(range(len(call.turns)))
    ended = publisher.sent[-1][1]
    assert isinstance(ended, CallEnded) and ended.utterances == len(call.turns)
    assert publisher.flushed == 1


def test_kafka_refuses_raw_text() -> None:
    transport = KafkaTransport(FakePublisher(), redact=None)  # type: ignore[arg-type]
    with pytest.raises(RawTextRefused):
        asyncio.run(transport.utterance("c1", Segment(0, Speaker.CUSTOMER, "010-1234-5678", 0, 9)))


def test_http_transport_paths_and_bodies() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json={"status": "accepted"})

    async def run() -> None:
        async with httpx.AsyncClient(
            base_url="http://api", transport=httpx.MockTransport(handler)
        ) as client:
            transport = HttpTransport(client, api_key="dev-key")
            await transport.start("c1", "C00001")
            await transport.utterance("c1", Segment(0, Speaker.CUSTOMER, "요금 문의요", 100, 900))
            chunk = AudioChunk(
                call_id="c1",
                seq=2,
                channel=Speaker.AGENT,
                sample_rate=8000,
                pcm=b"\x01\x00" * 4,
                last=True,
            )
            await transport.audio(chunk)
            await transport.end("c1", 1)

    asyncio.run(run())
    assert [r.url.path for r in seen] == [
        ApiPaths.START,
        "/v1/calls/c1/utterances",
        "/v1/calls/c1/audio",
        "/v1/calls/c1/end",
    ]
    assert all(r.headers["X-API-Key"] == "dev-key" for r in seen)
    audio = seen[2]
    assert audio.url.params["channel"] == "agent" and audio.url.params["last"] == "true"
    assert audio.content == b"\x01\x00" * 4
    assert b'"speaker":"customer"' in seen[1].content.replace(b" ", b"")


def test_send_audio_interleaves_channels_in_time_order() -> None:
    import numpy as np

    from simulator import CallAudio, send_audio

    audio = CallAudio(
        sample_rate=8000,
        channels={s: np.arange(8000, dtype=np.int16) for s in (Speaker.CUSTOMER, Speaker.AGENT)},
        segments=[],
    )
    publisher = FakePublisher()
    transport = KafkaTransport(publisher, redact=None)  # type: ignore[arg-type]
    sent = asyncio.run(send_audio(transport, "c9", "C00001", audio, chunk_ms=250))
    assert sent == 8
    messages = [m for _, m in publisher.sent]
    assert isinstance(messages[0], CallStarted)
    chunks = [m for m in messages if isinstance(m, AudioChunk)]
    assert [(c.channel, c.seq) for c in chunks[:2]] == [(Speaker.CUSTOMER, 0), (Speaker.AGENT, 0)]
    assert [c.last for c in chunks if c.channel is Speaker.AGENT] == [False, False, False, True]
