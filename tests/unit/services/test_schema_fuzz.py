"""Property tests: no bytes on any topic can make decode, or decode -> handle, raise anything
but DecodeError (dead-lettered) or PoisonMessage (dead-lettered).

Inputs: random bytes, random JSON documents (also as an audio frame's header), and valid
messages with one field replaced by an out-of-range or wrongly typed value. The handlers
are the real asr, agent and sink stages on in-memory or SQLite ports. Hypothesis runs
derandomized (fixed seed, no example database) so every run tries the same inputs.
"""

from __future__ import annotations

import json
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langgraph.checkpoint.memory import InMemorySaver

from agents.graph import build_graph
from agents.ports import ModelReply, ModelUnavailable
from pipelines.agent import AgentHandler
from pipelines.asr import AsrHandler
from pipelines.model import ModelStageHandler
from pipelines.sink import SinkHandler
from pipelines.stage import Incoming, Outgoing, PoisonMessage, StageHandler
from services.asr import DecodeOptions, SpeechEngine, Transcript, TranscriptSegment
from services.config import AsrSettings
from services.db import make_engine, session_factory, upgrade
from services.schemas import (
    AUDIO_MAGIC,
    SCHEMA_VERSION,
    AudioChunk,
    CallEnded,
    DecodeError,
    Message,
    Topic,
    decode,
    encode,
)
from services.schemas import limits as L
from services.schemas.codec import UnknownSchemaVersion
from tests.fixtures.api import FakeBackends, fake_app
from tests.unit.agents.fakes import approval_graph_of, ports, world

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
STAGE_FUZZ = settings(FUZZ, max_examples=40)
TOPICS = list(Topic)
NOW = "2025-03-14T09:30:00Z"


def _frame(header: bytes, pcm: bytes = b"") -> bytes:
    return AUDIO_MAGIC + struct.pack(">I", len(header)) + header + pcm


def _decode_or_poison(topic: Topic | str, value: bytes | None) -> Message | None:
    try:
        return decode(topic, value)
    except DecodeError:
        return None


# --- strategies ----------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)

wild_values = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from(
        [
            -1,
            10**12,
            2**63,
            10**30,
            L.MAX_UTTERANCES_PER_CALL + 1,
            L.MAX_AUDIO_SEQ + 1,
            L.MAX_CALL_MS + 1,
            L.MAX_AMOUNT_KRW + 1,
            "x" * (L.MAX_TEXT_CHARS + 1),
            "가" * (L.MAX_NOTE_CHARS + 1),
            ["id"] * (L.MAX_LIST_ITEMS + 1),
            "",
            "2025-13-45T99:99:99",
            "2025-03-14T09:30:00",  # no time zone
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)

# Valid in-range extremes: a stage must cope with the largest values the schema lets through.
utterance_seqs = st.integers(0, 5) | st.just(L.MAX_UTTERANCE_SEQ)
utterance_counts = st.integers(0, 6) | st.just(L.MAX_UTTERANCES_PER_CALL)
audio_seqs = st.integers(0, 4) | st.just(L.MAX_AUDIO_SEQ)

_CALL_IDS = st.sampled_from(["c1", "c2", "C1", "api-0123456789abcdef"])
_SPEAKERS = st.sampled_from(["customer", "agent"])


def _envelope(call_id: str, kind: str) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "call_id": call_id, "occurred_at": NOW, "kind": kind}


@st.composite
def transcript_docs(draw: st.DrawFn) -> dict[str, Any]:
    call_id = draw(_CALL_IDS)
    kind = draw(st.sampled_from(["call_started", "utterance", "call_ended", "approval_decided"]))
    doc = _envelope(call_id, kind)
    if kind == "call_started":
        doc |= {"customer_id": draw(st.sampled_from(["C1", "C2", "nobody"])), "source": "voice"}
    elif kind == "utterance":
        doc |= {
            "seq": draw(utterance_seqs),
            "speaker": draw(_SPEAKERS),
            "text": draw(
                st.sampled_from(["컬러링이 두 번 청구됐어요", "해지할게요", "010-1234-5678"])
                | st.text(max_size=200)
            ),
            "start_ms": 0,
            "end_ms": draw(st.integers(0, L.MAX_CALL_MS)),
            "confidence": draw(st.floats(0, 1)),
        }
    elif kind == "call_ended":
        doc |= {"utterances": draw(utterance_counts), "reason": "hangup"}
    else:
        doc |= {"approval_id": draw(st.text(min_size=1, max_size=10)), "approved": True,
                "decided_by": "sup"}  # fmt: skip
    return doc


def _dispute() -> dict[str, Any]:
    return {"outcome": "credit_issued", "rule": "duplicate_charge", "amount_krw": 1650,
            "invoice_id": "INV-1", "invoice_line_ids": ["L1"], "idempotency_key": "k",
            "approval_id": None, "explanation": "중복 청구"}  # fmt: skip


@st.composite
def insight_docs(draw: st.DrawFn) -> dict[str, Any]:
    doc = _envelope(draw(_CALL_IDS), "insight")
    doc |= {
        "utterance_seq": draw(utterance_seqs),
        "intent": "billing_dispute", "intent_confidence": 0.9, "intent_tier": "fast",
        "churn_score": 0.1, "churn_flag": False,
        "churn_signals": [{"name": "cancel_intent", "weight": 2.2, "evidence": "해지"}],
        "dispute": draw(st.none() | st.just(_dispute())),
        "actions": ["credit"], "assist": ["안내"], "fallbacks": [],
    }  # fmt: skip
    return doc


@st.composite
def summary_docs(draw: st.DrawFn) -> dict[str, Any]:
    doc = _envelope(draw(_CALL_IDS), "summary")
    doc |= {
        "summary": "요약", "customer_request": "요청", "resolution": "처리", "follow_up": "없음",
        "sentiment": "중립", "churn_risk": "낮음", "intents": ["billing_dispute"],
        "churn_score": 0.2, "dispute": draw(st.none() | st.just(_dispute())),
        "source": "rules", "utterances": draw(utterance_counts),
    }  # fmt: skip
    return doc


@st.composite
def handoff_docs(draw: st.DrawFn) -> dict[str, Any]:
    doc = _envelope(draw(_CALL_IDS), "handoff_requested")
    doc |= {
        "utterance_seq": draw(utterance_seqs), "customer_id": "C1",
        "source": draw(st.sampled_from(["voice", "chat"])),
        "reason": draw(st.sampled_from(["customer_request", "repeated_failure",
                                        "churn_dispute"])),
        "evidence": "상담원 연결해 주세요", "message": "상담원에게 연결해 드릴게요.",
    }  # fmt: skip
    return doc


@st.composite
def audio_headers(draw: st.DrawFn) -> dict[str, Any]:
    doc = _envelope(draw(_CALL_IDS), "audio")
    doc |= {
        "seq": draw(audio_seqs),
        "channel": draw(_SPEAKERS),
        "sample_rate": draw(st.sampled_from([8000, 16000])),
        "last": draw(st.booleans()),
    }
    return doc


def _mutated(docs: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid document, or one with a field (maybe inside `dispute`) replaced or dropped."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        doc = draw(docs)
        for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
            target = doc
            if isinstance(doc.get("dispute"), dict) and draw(st.booleans()):
                target = doc["dispute"]
            key = draw(st.sampled_from(sorted(target)))
            if draw(st.integers(0, 9)) == 0:
                del target[key]
            else:
                target[key] = draw(wild_values)
        return doc

    return build()


_DEADLINES = st.sampled_from([NOW, "2025-03-14T18:30:00+09:00", "2025-03-14T09:30:00"])


@st.composite
def model_request_docs(draw: st.DrawFn) -> dict[str, Any]:
    task = draw(st.sampled_from(["summary", "explanation", "intent"]))
    doc = _envelope(draw(_CALL_IDS), "model_request")
    subject = draw(summary_docs()) if task == "summary" else draw(insight_docs())
    doc |= {"task": task, "revision": 1, "deadline_at": draw(_DEADLINES),
            "transcript": "해지할게요", "facts": "", "candidates": ["cancellation"],
            "summary" if task == "summary" else "insight": subject}  # fmt: skip
    return doc


_DOCS: dict[Topic, st.SearchStrategy[dict[str, Any]]] = {
    Topic.TRANSCRIPTS: transcript_docs(),
    Topic.INSIGHTS: insight_docs(),
    Topic.SUMMARIES: summary_docs(),
    Topic.HANDOFFS: handoff_docs(),
}
for _topic in TOPICS:  # topics without a shaped generator here get a model request's shape
    if _topic is not Topic.AUDIO and _topic not in _DOCS:
        _DOCS[_topic] = model_request_docs()


def _dump(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, allow_nan=True).encode()


@st.composite
def audio_records(draw: st.DrawFn) -> bytes:
    header = _dump(draw(_mutated(audio_headers())))
    samples = draw(st.integers(0, 1600))
    pcm = draw(st.sampled_from(["silence", "tone", "noise"]))
    if pcm == "silence":
        body = bytes(2 * samples)
    elif pcm == "tone":
        n = np.arange(samples)
        body = (0.3 * np.sin(2 * np.pi * 440 * n / 8000) * 32767).astype("<i2").tobytes()
    else:
        body = draw(st.binary(min_size=2 * samples, max_size=2 * samples))
    return _frame(header, body + draw(st.sampled_from([b""] * 5 + [b"\x00"])))


@st.composite
def records_for(draw: st.DrawFn, topic: Topic) -> bytes:
    """Bytes a stage may read from `topic`: mostly near-valid messages, one in eight garbage."""
    if draw(st.integers(0, 7)) == 5:  # not 0: hypothesis favours the bounds
        return draw(st.binary(max_size=200) | json_values.map(_dump))
    if topic is Topic.AUDIO:
        return draw(audio_records())
    return _dump(draw(_mutated(_DOCS[topic])))


# --- decode --------------------------------------------------------------------------


@FUZZ
@given(topic=st.sampled_from(TOPICS), value=st.binary(max_size=512))
def test_random_bytes_decode_or_raise_decode_error(topic: Topic, value: bytes) -> None:
    _decode_or_poison(topic, value)
    _decode_or_poison(topic, AUDIO_MAGIC + value)


@FUZZ
@given(topic=st.sampled_from(TOPICS), document=json_values)
def test_random_json_decodes_or_raises_decode_error(topic: Topic, document: Any) -> None:
    raw = _dump(document)
    _decode_or_poison(topic, raw)
    _decode_or_poison(Topic.AUDIO, _frame(raw, b"\x00\x00"))


@FUZZ
@given(topic=st.sampled_from(TOPICS), data=st.data())
def test_near_valid_messages_decode_within_bounds_or_raise_decode_error(
    topic: Topic, data: st.DataObject
) -> None:
    message = _decode_or_poison(topic, data.draw(records_for(topic)))
    if message is None:
        return
    assert message.schema_version == SCHEMA_VERSION
    # Whatever decodes is within the limits and survives its own round trip.
    assert decode(topic, encode(message)) == message
    if isinstance(message, CallEnded):
        assert message.utterances <= L.MAX_UTTERANCES_PER_CALL
    if isinstance(message, AudioChunk):
        assert message.seq <= L.MAX_AUDIO_SEQ and len(message.pcm) <= L.MAX_AUDIO_PCM_BYTES


@pytest.mark.parametrize("header", [b"12", b"null", b"[1]", b'"kca"', b"1e999", b"[" * 5000])
def test_audio_headers_that_are_not_objects_are_decode_errors(header: bytes) -> None:
    with pytest.raises(DecodeError):
        decode(Topic.AUDIO, _frame(header, b"\x00\x00"))


@FUZZ
@given(topic=st.sampled_from(TOPICS), data=st.data(), version=st.integers(-(10**20), 10**20))
def test_any_other_schema_version_is_unknown_schema_version(
    topic: Topic, data: st.DataObject, version: int
) -> None:
    if version == SCHEMA_VERSION:
        return
    if topic is Topic.AUDIO:
        header = data.draw(audio_headers()) | {"schema_version": version}
        value = _frame(_dump(header), b"\x00\x00")
    elif topic in _DOCS:
        value = _dump(data.draw(_DOCS[topic]) | {"schema_version": version})
    else:
        value = _dump({"schema_version": version, "kind": "whatever"})
    with pytest.raises(UnknownSchemaVersion, match="unknown schema_version"):
        decode(topic, value)


def test_oversized_values_are_refused_before_parsing() -> None:
    huge = b'{"x": "' + b"a" * L.MAX_MESSAGE_BYTES + b'"}'
    for topic in TOPICS:
        with pytest.raises(DecodeError, match="message limit"):
            decode(topic, huge)


def test_size_limits_agree_end_to_end() -> None:
    from services.config import Settings

    largest = encode(
        AudioChunk(call_id="c" * L.MAX_ID_CHARS, seq=L.MAX_AUDIO_SEQ, channel="customer",
                   sample_rate=16000, pcm=bytes(L.MAX_AUDIO_PCM_BYTES))
    )  # fmt: skip
    assert len(largest) <= L.MAX_MESSAGE_BYTES
    assert Settings().api.max_body_bytes <= L.MAX_AUDIO_PCM_BYTES
    # Room for the record's overhead and dead-letter headers on top of the largest value.
    assert L.MAX_MESSAGE_BYTES + 64 * 1024 <= L.PRODUCER_MAX_REQUEST_BYTES
    assert L.PRODUCER_MAX_REQUEST_BYTES <= L.TOPIC_MAX_MESSAGE_BYTES
    assert L.TOPIC_MAX_MESSAGE_BYTES <= L.CONSUMER_MAX_PARTITION_FETCH_BYTES


# --- decode -> handle, on the real stage handlers ------------------------------------


class _FixedEngine(SpeechEngine):
    name = "fixed"

    def transcribe(self, audio: np.ndarray, options: DecodeOptions) -> Transcript:
        seconds = len(audio) / 16000
        return Transcript((TranscriptSegment(0.0, seconds, "요금 문의 010-1234-5678", -0.2, 0.01),),
                          "ko", seconds)  # fmt: skip


class _EnergyVad:
    def __call__(self, windows: np.ndarray) -> np.ndarray:
        rms = np.sqrt((windows.astype(np.float64) ** 2).mean(axis=1))
        return np.where(rms > 0.01, 0.95, 0.02).astype(np.float32)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _run(handler: StageHandler, topic: Topic, values: Sequence[bytes], clock: _Clock) -> int:
    """Feed records like the runner does; return how many were dead-lettered."""
    dead = 0
    for offset, value in enumerate(values):
        message = _decode_or_poison(topic, value)
        if message is None:
            dead += 1
            continue
        try:
            outputs = handler.handle(Incoming(message, partition=0, offset=offset))
        except PoisonMessage:
            dead += 1
            outputs = []
        _check_outputs(outputs)
        clock.now += 7.0
        _check_outputs(handler.tick(clock.now))
        handler.safe_offset(0)
    clock.now += 3600.0
    _check_outputs(handler.tick(clock.now))
    return dead


def _check_outputs(outputs: Sequence[Outgoing]) -> None:
    for output in outputs:  # what a stage emits must decode on its topic
        assert decode(output.topic, encode(output.message)) == output.message


def _stage_property(topic: Topic, make: Callable[[_Clock], StageHandler]) -> Callable[[], None]:
    @STAGE_FUZZ
    @given(values=st.lists(records_for(topic), min_size=1, max_size=6))
    def run(values: list[bytes]) -> None:
        clock = _Clock()
        _run(make(clock), topic, values, clock)

    return run


def test_asr_stage_survives_any_audio_record() -> None:
    def make(clock: _Clock) -> StageHandler:
        redact = lambda text: (text.replace("010-1234-5678", "[번호]"), [])  # noqa: E731
        return AsrHandler(_FixedEngine(), redact, AsrSettings(), vad=_EnergyVad, clock=clock,
                          idle_timeout_s=5.0)  # fmt: skip

    _stage_property(Topic.AUDIO, make)()


def test_agent_stage_survives_any_transcript_record() -> None:
    def make(clock: _Clock) -> StageHandler:
        fakes = ports(world("duplicate_charge"))
        graph = build_graph(InMemorySaver())
        return AgentHandler(graph, fakes.context(), approval_graph=approval_graph_of(graph),
                            end_wait_s=30, monotonic=clock)

    _stage_property(Topic.TRANSCRIPTS, make)()


class _DownChat:
    """A model that never answers (the stage must still finish every request)."""

    def structured(self, **_: Any) -> ModelReply:
        raise ModelUnavailable("down")

    def text(self, **_: Any) -> ModelReply:
        raise ModelUnavailable("down")


def test_model_stage_survives_any_request() -> None:
    @STAGE_FUZZ
    @given(values=st.lists(records_for(Topic.MODEL_REQUESTS), min_size=1, max_size=6))
    def run(values: list[bytes]) -> None:
        handler = ModelStageHandler(
            _DownChat(), now=lambda: datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
        )  # type: ignore[arg-type]
        try:
            _run(handler, Topic.MODEL_REQUESTS, values, _Clock())
            deadline = time.monotonic() + 30
            while handler.safe_offset(0) is not None:  # every request answered or dropped
                assert all(t.is_alive() for t in handler._threads), "a worker thread died"
                assert time.monotonic() < deadline, "requests never finished"
                _check_outputs(handler.tick(0.0))
                time.sleep(0.005)
        finally:
            handler.close()

    run()


def test_sink_stage_survives_any_record(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fuzz.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    try:
        for topic in (Topic.TRANSCRIPTS, Topic.INSIGHTS, Topic.SUMMARIES, Topic.HANDOFFS):
            _stage_property(topic, lambda _clock: SinkHandler(sessions))()
    finally:
        engine.dispose()


# --- the API takes the same bounds ---------------------------------------------------

WRITER = {"X-API-Key": "writer-key"}
AUDIO = {**WRITER, "Content-Type": "application/octet-stream"}


@pytest.fixture
def api() -> Iterator[tuple[TestClient, FakeBackends]]:
    app, fakes = fake_app()
    fakes.calls.start("call-1")  # ingestion writes only to started calls
    with TestClient(app) as client:
        yield client, fakes


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("end", {"utterances": L.MAX_UTTERANCES_PER_CALL + 1}, "body.utterances"),
        ("end", {"utterances": 10**12}, "body.utterances"),
        ("end", {"utterances": 10**30}, "body.utterances"),
        ("end", {"utterances": 1, "reason": "x" * (L.MAX_LABEL_CHARS + 1)}, "body.reason"),
        ("utterances", {"seq": L.MAX_UTTERANCE_SEQ + 1, "speaker": "customer", "text": "네"},
         "body.seq"),
        ("utterances", {"seq": 0, "speaker": "customer", "text": "네",
                        "end_ms": L.MAX_CALL_MS + 1}, "body.end_ms"),
        ("utterances", {"seq": 0, "speaker": "customer", "text": "가" * (L.MAX_TEXT_CHARS + 1)},
         "body.text"),
    ],
)  # fmt: skip
def test_api_refuses_what_the_wire_schema_refuses(
    api: tuple[TestClient, FakeBackends], path: str, body: dict[str, Any], field: str
) -> None:
    client, fakes = api
    response = client.post(f"/v1/calls/call-1/{path}", json=body, headers=WRITER)
    assert response.status_code == 422, response.text
    assert field in [problem["field"] for problem in response.json()["detail"]]
    assert fakes.publisher.sent == []


def test_api_takes_the_largest_values_the_wire_takes(api: tuple[TestClient, FakeBackends]) -> None:
    client, fakes = api
    line = client.post(
        "/v1/calls/call-1/utterances",
        json={"seq": L.MAX_UTTERANCE_SEQ, "speaker": "agent", "text": "가" * L.MAX_TEXT_CHARS,
              "start_ms": L.MAX_CALL_MS, "end_ms": L.MAX_CALL_MS},
        headers=WRITER,
    )  # fmt: skip
    chunk = client.post(f"/v1/calls/call-1/audio?channel=agent&seq={L.MAX_AUDIO_SEQ}",
                        content=bytes(L.MAX_AUDIO_PCM_BYTES), headers=AUDIO)  # fmt: skip
    # The end last: an ended call takes nothing more (409).
    ended = client.post("/v1/calls/call-1/end", json={"utterances": L.MAX_UTTERANCES_PER_CALL},
                        headers=WRITER)  # fmt: skip
    assert [r.status_code for r in (ended, line, chunk)] == [202, 202, 202]
    for topic, message in fakes.publisher.sent:
        assert decode(topic, encode(message)) == message
    too_far = client.post(f"/v1/calls/call-1/audio?channel=agent&seq={L.MAX_AUDIO_SEQ + 1}",
                          content=b"\x00\x00", headers=AUDIO)  # fmt: skip
    assert too_far.status_code == 422


def test_too_large_audio_is_413_naming_the_limit_never_503() -> None:
    # Default settings: the body limit is the PCM limit, enforced before the body is read.
    app, fakes = fake_app()
    with TestClient(app) as client:
        response = client.post("/v1/calls/call-1/audio?channel=agent&seq=0",
                               content=bytes(L.MAX_AUDIO_PCM_BYTES + 2), headers=AUDIO)  # fmt: skip
    assert response.status_code == 413
    assert str(L.MAX_AUDIO_PCM_BYTES) in response.json()["detail"]
    # A body limit raised above it: the router still answers 413 with the chunk limit.
    app, fakes = fake_app(max_body_bytes=L.MAX_AUDIO_PCM_BYTES * 2)
    with TestClient(app) as client:
        response = client.post("/v1/calls/call-1/audio?channel=agent&seq=0",
                               content=bytes(L.MAX_AUDIO_PCM_BYTES + 2), headers=AUDIO)  # fmt: skip
    assert response.status_code == 413, response.text
    assert f"{L.MAX_AUDIO_PCM_BYTES}-byte limit" in response.json()["detail"]
    assert fakes.publisher.sent == []


def test_api_answers_any_json_body_with_202_or_4xx() -> None:
    app, fakes = fake_app()
    bodies = st.dictionaries(
        st.sampled_from(["seq", "speaker", "text", "start_ms", "end_ms", "confidence",
                         "utterances", "reason", "extra"]),
        wild_values | st.sampled_from(["customer", "agent", "네", "hangup", 0, 1]),
        max_size=6,
    )  # fmt: skip

    with TestClient(app) as client:

        @settings(FUZZ, max_examples=80)
        @given(path=st.sampled_from(["end", "utterances"]), body=bodies)
        def post(path: str, body: dict[str, Any]) -> None:
            try:
                payload = _dump(body)
            except ValueError:
                return
            headers = {**WRITER, "Content-Type": "application/json"}
            response = client.post(f"/v1/calls/call-1/{path}", content=payload, headers=headers)
            assert response.status_code in (202, 400, 422), response.text

        post()
    for topic, message in fakes.publisher.sent:
        assert decode(topic, encode(message)) == message


def test_decode_errors_never_quote_a_key_the_sender_made_up() -> None:
    value = b'{"kind": "call_ended", "call_id": "c1", "utterances": 1, "01012345678": 1}'
    with pytest.raises(DecodeError) as caught:
        decode(Topic.TRANSCRIPTS, value)
    assert "01012345678" not in str(caught.value)
    assert "call_ended.?" in str(caught.value)
