"""Call ingestion: events reach the publisher redacted, audio as binary, bad input is 4xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.schemas import AudioChunk, CallEnded, CallStarted, Topic, Utterance, decode, encode
from tests.fixtures.api import FakeBackends, fake_app

WRITER = {"X-API-Key": "writer-key"}
PHONE = "010-1234-5678"
RRN = "900101-1234568"


@pytest.fixture
def fakes() -> FakeBackends:
    fakes = FakeBackends()
    fakes.calls.start("call-1", "call-2", "call-3")  # as if POST /v1/calls had opened them
    return fakes


@pytest.fixture
def client(fakes: FakeBackends) -> Iterator[TestClient]:
    app, _ = fake_app(fakes)
    with TestClient(app) as test_client:
        yield test_client


def test_start_utterance_end_are_published_in_order(
    client: TestClient, fakes: FakeBackends
) -> None:
    started = client.post(
        "/v1/calls", json={"call_id": "call-1", "customer_id": "C00001"}, headers=WRITER
    )
    line = client.post(
        "/v1/calls/call-1/utterances",
        json={"seq": 0, "speaker": "customer", "text": "요금이 두 번 나왔어요", "end_ms": 1500},
        headers=WRITER,
    )
    ended = client.post("/v1/calls/call-1/end", json={"utterances": 1}, headers=WRITER)
    assert [r.status_code for r in (started, line, ended)] == [202, 202, 202]
    events = fakes.publisher.on(Topic.TRANSCRIPTS)
    assert [type(e) for e in events] == [CallStarted, Utterance, CallEnded]
    assert started.json() == {
        "call_id": "call-1",
        "message_id": events[0].message_id,
        "status": "accepted",
    }
    assert isinstance(events[1], Utterance) and events[1].text == "요금이 두 번 나왔어요"


def test_start_without_call_id_gets_a_fresh_one(client: TestClient, fakes: FakeBackends) -> None:
    response = client.post("/v1/calls", json={"customer_id": "C00001"}, headers=WRITER)
    assert response.status_code == 202
    assert response.json()["call_id"].startswith("api-")
    assert fakes.publisher.sent[0][1].call_id == response.json()["call_id"]


def test_pii_in_a_transcript_line_never_reaches_the_publisher(
    client: TestClient, fakes: FakeBackends
) -> None:
    text = f"제 번호는 {PHONE}이고 주민번호는 {RRN}입니다. 공일공 일이삼사 오육칠팔로 연락 주세요"
    response = client.post(
        "/v1/calls/call-2/utterances",
        json={"seq": 3, "speaker": "customer", "text": text},
        headers=WRITER,
    )
    assert response.status_code == 202
    (event,) = fakes.publisher.on(Topic.TRANSCRIPTS)
    wire = encode(event).decode()
    for raw in (PHONE, "1234-5678", RRN, "1234568", "공일공 일이삼사"):
        assert raw not in wire
    assert "[전화번호]" in wire and "[주민등록번호]" in wire


def test_customer_id_that_is_personal_data_is_refused(
    client: TestClient, fakes: FakeBackends
) -> None:
    response = client.post("/v1/calls", json={"customer_id": PHONE}, headers=WRITER)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "body.customer_id"
    assert fakes.publisher.sent == []


def test_end_reason_must_be_a_code(client: TestClient) -> None:
    response = client.post(
        "/v1/calls/call-1/end",
        json={"utterances": 1, "reason": "고객 010-1234-5678"},
        headers=WRITER,
    )
    assert response.status_code == 422


def test_end_before_start_ms_is_400(client: TestClient) -> None:
    response = client.post(
        "/v1/calls/call-1/utterances",
        json={"seq": 0, "speaker": "agent", "text": "네", "start_ms": 900, "end_ms": 100},
        headers=WRITER,
    )
    assert response.status_code == 400
    assert "end_ms" in response.json()["detail"]


def test_audio_chunk_is_published_as_a_binary_frame(
    client: TestClient, fakes: FakeBackends
) -> None:
    pcm = bytes(range(256)) * 4
    response = client.post(
        "/v1/calls/call-3/audio?channel=agent&seq=7&sample_rate=8000&last=true",
        content=pcm,
        headers={**WRITER, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 202
    (chunk,) = fakes.publisher.on(Topic.AUDIO)
    assert isinstance(chunk, AudioChunk)
    assert (chunk.seq, chunk.channel.value, chunk.sample_rate, chunk.last) == (
        7,
        "agent",
        8000,
        True,
    )
    assert chunk.pcm == pcm
    assert decode(Topic.AUDIO, encode(chunk)) == chunk


@pytest.mark.parametrize(
    ("query", "body", "content_type", "status"),
    [
        ("channel=customer&seq=0", b"\x00\x01\x02", "application/octet-stream", 400),
        ("channel=customer&seq=0", b"", "application/octet-stream", 400),
        ("channel=customer&seq=0", b"{}", "application/json", 415),
        ("channel=robot&seq=0", b"\x00\x00", "application/octet-stream", 422),
        ("channel=customer&seq=0&sample_rate=1000", b"\x00\x00", "application/octet-stream", 422),
        ("channel=customer", b"\x00\x00", "application/octet-stream", 422),
    ],
)
def test_bad_audio_is_refused(
    client: TestClient,
    fakes: FakeBackends,
    query: str,
    body: bytes,
    content_type: str,
    status: int,
) -> None:
    response = client.post(
        f"/v1/calls/call-3/audio?{query}",
        content=body,
        headers={**WRITER, "Content-Type": content_type},
    )
    assert response.status_code == status, response.text
    assert fakes.publisher.sent == []


def test_empty_last_chunk_closes_a_channel(client: TestClient, fakes: FakeBackends) -> None:
    response = client.post(
        "/v1/calls/call-3/audio?channel=customer&seq=9&last=true",
        content=b"",
        headers={**WRITER, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 202
    assert fakes.publisher.on(Topic.AUDIO)[0].last is True


def test_chat_thread_ids_are_reserved(client: TestClient, fakes: FakeBackends) -> None:
    start = client.post(
        "/v1/calls", json={"call_id": "chat-s1", "customer_id": "C00001"}, headers=WRITER
    )
    line = client.post(
        "/v1/calls/chat-s1/utterances",
        json={"seq": 0, "speaker": "customer", "text": "안녕하세요"},
        headers=WRITER,
    )
    assert start.status_code == line.status_code == 400
    assert fakes.publisher.sent == []


def test_broker_down_is_503_with_retry_after(client: TestClient, fakes: FakeBackends) -> None:
    fakes.publisher.down = True
    response = client.post("/v1/calls", json={"customer_id": "C00001"}, headers=WRITER)
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert response.headers["Retry-After"] == "1"


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("utterances", {"json": {"seq": 0, "speaker": "customer", "text": "안녕하세요"}}),
        ("audio?channel=customer&seq=0", {"content": b"\x00\x01",
                                           "headers": {"Content-Type": "audio/l16"}}),
        ("end", {"json": {"utterances": 1}}),
    ],
)  # fmt: skip
def test_a_call_never_started_is_404_and_an_ended_one_409(
    client: TestClient, fakes: FakeBackends, path: str, kwargs: dict[str, object]
) -> None:
    headers = {**WRITER, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    unknown = client.post(f"/v1/calls/never-1/{path}", headers=headers, **kwargs)  # type: ignore[arg-type]
    assert unknown.status_code == 404, unknown.text
    assert unknown.json()["error"] == "not_found"
    assert "시작되지 않았습니다" in unknown.json()["detail"]
    assert "call not started" in unknown.json()["detail"]
    assert client.post("/v1/calls", json={"call_id": "done-1", "customer_id": "C00001"},
                       headers=WRITER).status_code == 202
    assert client.post("/v1/calls/done-1/end", json={"utterances": 0},
                       headers=WRITER).status_code == 202
    ended = client.post(f"/v1/calls/done-1/{path}", headers=headers, **kwargs)  # type: ignore[arg-type]
    assert ended.status_code == 409, ended.text
    assert "이미 종료되었습니다" in ended.json()["detail"]
    # Only the start and the end went out; the refused requests published nothing.
    assert [type(m).__name__ for m in fakes.publisher.on(Topic.TRANSCRIPTS)] == [
        "CallStarted", "CallEnded"]


def test_a_start_repeats_but_never_reopens_or_changes_customer(client: TestClient) -> None:
    body = {"call_id": "again-1", "customer_id": "C00001"}
    assert client.post("/v1/calls", json=body, headers=WRITER).status_code == 202
    assert client.post("/v1/calls", json=body, headers=WRITER).status_code == 202  # a retry
    other = client.post("/v1/calls", json={**body, "customer_id": "C00002"}, headers=WRITER)
    assert other.status_code == 409 and "다른 고객" in other.json()["detail"]
    client.post("/v1/calls/again-1/end", json={"utterances": 0}, headers=WRITER)
    reopened = client.post("/v1/calls", json=body, headers=WRITER)
    assert reopened.status_code == 409


def test_openapi_lists_every_source_and_speaker_and_the_lifecycle_errors(
    client: TestClient,
) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    source = schemas["StartCall"]["properties"]["source"]
    assert source["enum"] == ["voice", "chat"] and "`chat`" in source["description"]
    speaker = schemas["TranscriptLine"]["properties"]["speaker"]
    assert "customer" in str(speaker) and "agent" in str(speaker)
    assert client.post("/v1/calls", json={"customer_id": "C00001", "source": "api"},
                       headers=WRITER).status_code == 422
    for path in ("utterances", "audio", "end"):
        responses = spec["paths"][f"/v1/calls/{{call_id}}/{path}"]["post"]["responses"]
        assert {"404", "409"} <= set(responses), path
