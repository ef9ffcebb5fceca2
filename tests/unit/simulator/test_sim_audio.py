"""espeak-ng speech, two-channel call audio and chunking."""

from __future__ import annotations

import shutil
from datetime import date

import numpy as np
import pytest

from services.schemas import Speaker, decode, encode
from simulator import call_audio, chunk_audio, generate_calls, generate_world, synthesize

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng missing")


@pytest.fixture(scope="module")
def call_and_audio():  # type: ignore[no-untyped-def]
    world = generate_world(seed=2, customers=10, today=date(2025, 6, 15))
    call = generate_calls(world, seed=2, n=1)[0]
    return call, call_audio(call, sample_rate=16000, gap_ms=300)


@pytest.mark.parametrize("rate", [16000, 8000])
def test_synthesize_gives_speech(rate: int) -> None:
    pcm = synthesize("감사합니다, 고객님. 무엇을 도와드릴까요?", sample_rate=rate)
    assert pcm.dtype == np.int16
    seconds = len(pcm) / rate
    assert 1.0 < seconds < 10.0
    rms = float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2)))
    assert rms > 500, "not silent"


def test_channels_are_time_aligned(call_and_audio) -> None:  # type: ignore[no-untyped-def]
    call, audio = call_and_audio
    customer, agent = audio.channels[Speaker.CUSTOMER], audio.channels[Speaker.AGENT]
    assert len(customer) == len(agent)
    assert len(audio.segments) == len(call.turns)
    for seg in audio.segments:
        start, end = seg.start_ms * 16, seg.end_ms * 16
        own = audio.channels[seg.speaker][start:end]
        other = audio.channels[
            Speaker.AGENT if seg.speaker is Speaker.CUSTOMER else Speaker.CUSTOMER
        ]
        assert np.abs(own).max() > 1000, "the speaker's channel carries the turn"
        assert not other[start:end].any(), "the other channel is silent meanwhile"
    ends = [s.end_ms for s in audio.segments]
    starts = [s.start_ms for s in audio.segments]
    assert all(e <= s for e, s in zip(ends, starts[1:], strict=False)), "turns do not overlap"


def test_chunking_covers_every_sample(call_and_audio) -> None:  # type: ignore[no-untyped-def]
    call, audio = call_and_audio
    pcm = audio.channels[Speaker.CUSTOMER]
    chunks = chunk_audio(call.call_id, Speaker.CUSTOMER, pcm, 16000, chunk_ms=200)
    assert [c.seq for c in chunks] == list(range(len(chunks)))
    assert [c.last for c in chunks] == [False] * (len(chunks) - 1) + [True]
    assert all(len(c.pcm) == 6400 for c in chunks[:-1])
    joined = np.frombuffer(b"".join(c.pcm for c in chunks), dtype="<i2")
    assert np.array_equal(joined, pcm)
    assert decode("calls.audio.v1", encode(chunks[3])) == chunks[3]


def test_telephone_mode_is_8k(call_and_audio) -> None:  # type: ignore[no-untyped-def]
    call, _ = call_and_audio
    audio = call_audio(call, telephone=True)
    assert audio.sample_rate == 8000
    assert len(audio.channels[Speaker.CUSTOMER]) == len(audio.channels[Speaker.AGENT])
