"""The API on its real wiring: the embedded Kafka broker and a migrated database.

Ingested events are read back from the topics with a plain consumer; views read rows
written through the database layer; an approval decision is stored once and wakes the
graph with an ApprovalDecided event. The assistant runs the real graph (deterministic
paths, no LLM server).
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.api import create_app
from services.config import (
    ApiSettings,
    DatabaseSettings,
    LlmSettings,
    PrivacySettings,
    Settings,
)
from services.db import SqlApprovalStore, SqlAuditLog, SqlCallStore, seed_world
from services.db.models import Approval
from services.privacy import PiiVault
from services.schemas import (
    AUDIO_MAGIC,
    ApprovalDecided,
    AudioChunk,
    CallEnded,
    CallInsight,
    CallStarted,
    CallSummary,
    ChurnSignal,
    DisputeDecision,
    DisputeOutcome,
    Intent,
    IntentTier,
    Message,
    Speaker,
    SummarySource,
    Topic,
    Utterance,
    decode,
)
from tests.fixtures.api import KEYS
from tests.fixtures.broker import fast_kafka_settings, read_topic
from tests.fixtures.database import small_billing_world

pytestmark = pytest.mark.integration

WRITER = {"X-API-Key": "writer-key"}
READER = {"X-API-Key": "reader-key"}
SUPER = {"X-API-Key": "super-key"}
T0 = datetime(2025, 6, 20, 1, 0, tzinfo=UTC)
PII_KEY = bytes(range(32))


@pytest.fixture
def api_settings(kafka_bootstrap: str, db_url: str) -> Settings:
    return Settings().model_copy(
        update={
            "kafka": fast_kafka_settings(bootstrap=kafka_bootstrap),
            "database": DatabaseSettings(url=db_url),
            "api": ApiSettings(api_keys=KEYS),
            "llm": LlmSettings(enabled=False),
            "privacy": PrivacySettings(pii_key=SecretStr(base64.b64encode(PII_KEY).decode())),
        }
    )


@pytest.fixture
def client(api_settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    seed_world(session_factory.kw["bind"], small_billing_world())
    with TestClient(create_app(api_settings)) as test_client:
        yield test_client


def _call_id() -> str:
    return f"api-it-{uuid.uuid4().hex[:12]}"


def _messages(bootstrap: str, topic: Topic, call_id: str, count: int) -> list[Message]:
    """The call's messages on `topic` (there may be other tests' records around them)."""
    deadline = time.monotonic() + 20
    while True:
        records = [
            r for r in read_topic(bootstrap, str(topic), min_records=1) if r.key == call_id.encode()
        ]
        if len(records) >= count or time.monotonic() > deadline:
            break
    for record in records:
        if topic is Topic.AUDIO:
            assert record.value.startswith(AUDIO_MAGIC)  # binary frame, not base64 JSON
        assert b"010-1234-5678" not in record.value
    return [decode(topic, r.value) for r in sorted(records, key=lambda r: r.offset)]


def test_ingestion_lands_redacted_on_the_transcripts_topic(
    client: TestClient, kafka_bootstrap: str
) -> None:
    call_id = _call_id()
    text = "제 번호 010-1234-5678 이고 주민번호는 900101-1234568 인데 요금이 두 번 나왔어요"
    answers = [
        client.post(
            "/v1/calls", json={"call_id": call_id, "customer_id": "C-0001"}, headers=WRITER
        ),
        client.post(
            f"/v1/calls/{call_id}/utterances",
            json={"seq": 0, "speaker": "customer", "text": text, "end_ms": 2400},
            headers=WRITER,
        ),
        client.post(f"/v1/calls/{call_id}/end", json={"utterances": 1}, headers=WRITER),
    ]
    assert [a.status_code for a in answers] == [202, 202, 202]
    started, utterance, ended = _messages(kafka_bootstrap, Topic.TRANSCRIPTS, call_id, 3)
    assert isinstance(started, CallStarted) and started.customer_id == "C-0001"
    assert started.message_id == answers[0].json()["message_id"]
    assert isinstance(utterance, Utterance)
    assert (
        utterance.text
        == "제 번호 [전화번호] 이고 주민번호는 [주민등록번호] 인데 요금이 두 번 나왔어요"
    )
    # Beside the text: the masked forms, and the values sealed for the call's customer.
    assert [(i.kind, i.masked) for i in utterance.identifiers] == [
        ("phone", "010-****-5678"), ("rrn", "******-*******")]
    vault = PiiVault(PII_KEY)
    assert [vault.open(i.kind, i.sealed or "") for i in utterance.identifiers] == [
        "010-1234-5678", "900101-1234568"]
    assert isinstance(ended, CallEnded) and ended.utterances == 1


def test_audio_lands_as_a_binary_frame(client: TestClient, kafka_bootstrap: str) -> None:
    call_id = _call_id()
    pcm = (b"\x01\x00\xff\x7f" * 1600)[:6400]  # 200 ms at 16 kHz
    unstarted = client.post(
        f"/v1/calls/{call_id}/audio?channel=customer&seq=0&sample_rate=16000",
        content=pcm,
        headers={**WRITER, "Content-Type": "application/octet-stream"},
    )
    assert unstarted.status_code == 404  # the real registry: no calls row yet
    started = client.post(
        "/v1/calls", json={"call_id": call_id, "customer_id": "C-0001"}, headers=WRITER
    )
    assert started.status_code == 202
    response = client.post(
        f"/v1/calls/{call_id}/audio?channel=customer&seq=0&sample_rate=16000",
        content=pcm,
        headers={**WRITER, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 202
    (chunk,) = _messages(kafka_bootstrap, Topic.AUDIO, call_id, 1)
    assert isinstance(chunk, AudioChunk)
    assert (chunk.pcm, chunk.channel, chunk.sample_rate) == (pcm, Speaker.CUSTOMER, 16000)


def _write_call(sessions: sessionmaker[Session], call_id: str) -> None:
    store = SqlCallStore(sessions)
    store.record_call_started(
        event=CallStarted(call_id=call_id, customer_id="C-0001", occurred_at=T0)
    )
    for seq, (speaker, text) in enumerate(
        [(Speaker.CUSTOMER, "소액결제가 두 번 청구됐어요"), (Speaker.AGENT, "확인해 드리겠습니다")]
    ):
        store.record_utterance(
            utterance=Utterance(
                call_id=call_id,
                seq=seq,
                speaker=speaker,
                text=text,
                start_ms=seq * 3000,
                end_ms=seq * 3000 + 2000,
                confidence=0.9,
                occurred_at=T0 + timedelta(seconds=seq * 3),
            )
        )
    decision = DisputeDecision(
        outcome=DisputeOutcome.CREDIT_ISSUED,
        rule="duplicate_charge",
        amount_krw=1650,
        invoice_id="INV-C-0001-2025-06",
        invoice_line_ids=["L-C-0001-2025-06-2"],
        idempotency_key=f"{call_id}:dup",
        explanation="중복 청구된 1,650원을 환급해 드렸습니다.",
    )
    store.record_insight(
        insight=CallInsight(
            call_id=call_id,
            occurred_at=T0 + timedelta(seconds=1),
            utterance_seq=0,
            intent=Intent.BILLING_DISPUTE,
            intent_confidence=0.93,
            intent_tier=IntentTier.FAST,
            churn_score=0.71,
            churn_flag=True,
            churn_signals=[ChurnSignal(name="price_complaint", weight=0.4, evidence="두 번")],
            dispute=decision,
        )
    )
    store.record_call_ended(
        event=CallEnded(call_id=call_id, utterances=2, occurred_at=T0 + timedelta(seconds=9))
    )
    store.record_summary(
        summary=CallSummary(
            call_id=call_id,
            occurred_at=T0 + timedelta(seconds=10),
            summary="소액결제 중복 청구 1,650원 환급",
            customer_request="중복 청구 환급",
            resolution="자동 환급",
            follow_up="없음",
            sentiment="중립",
            churn_risk="높음",
            intents=[Intent.BILLING_DISPUTE],
            churn_score=0.71,
            dispute=decision,
            source=SummarySource.TEMPLATE,
            utterances=2,
        )
    )


def test_views_read_rows_written_through_the_database_layer(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    call_id = _call_id()
    _write_call(session_factory, call_id)
    view = client.get(f"/v1/calls/{call_id}", headers=READER)
    assert view.status_code == 200
    body = view.json()
    assert body["call"]["status"] == "ended"
    assert [u["seq"] for u in body["utterances"]] == [0, 1]
    assert body["insights"][0]["intent"] == "billing_dispute"
    assert body["summary"]["summary"] == "소액결제 중복 청구 1,650원 환급"
    assert body["disputes"][0]["outcome"] == "credit_issued"
    assert body["churn"]["score"] == pytest.approx(0.71)

    (row,) = [c for c in client.get("/v1/calls", headers=READER).json() if c["call_id"] == call_id]
    assert row == row | {
        "customer_id": "C-0001",
        "intent": "billing_dispute",
        "churn_score": pytest.approx(0.71),
        "churn_flag": True,
        "dispute_outcome": "credit_issued",
        "summary_headline": "소액결제 중복 청구 1,650원 환급",
        "summary_revision": 0,
        "summary_source": "rules",
    }
    flags = client.get("/v1/churn-flags", headers=READER).json()
    assert call_id in {f["call_id"] for f in flags}
    customer = client.get("/v1/customers/C-0001", headers=READER).json()
    assert customer["customer"]["name"] == "김*준"
    assert customer["customer"]["phone"] == "010-****-5678"
    assert call_id in {c["call_id"] for c in customer["calls"]}
    assert client.get(f"/v1/calls/{_call_id()}", headers=READER).status_code == 404

    SqlAuditLog(session_factory).record(
        call_id=call_id,
        actor="model:summarize",
        action="ok",
        detail={"input": "[전화번호]로 연락 주세요"},
        latency_ms=812.5,
        prompt_tokens=640,
        completion_tokens=96,
    )
    (entry,) = client.get(f"/v1/calls/{call_id}/audit", headers=READER).json()
    assert entry["actor"] == "model:summarize"
    assert (entry["prompt_tokens"], entry["completion_tokens"]) == (640, 96)


def test_approval_is_decided_once_and_wakes_the_graph(
    client: TestClient, session_factory: sessionmaker[Session], kafka_bootstrap: str
) -> None:
    call_id = _call_id()
    ticket = SqlApprovalStore(session_factory).request(
        call_id=call_id,
        customer_id="C-0001",
        idempotency_key=f"{call_id}:roaming",
        amount_krw=45000,
        reason="로밍 요금 오청구",
    )
    queue = client.get("/v1/approvals", headers=SUPER).json()
    assert ticket.approval_id in {a["approval_id"] for a in queue}

    decision = {"approve": True}
    first = client.post(f"/v1/approvals/{ticket.approval_id}", json=decision, headers=SUPER)
    retry = client.post(f"/v1/approvals/{ticket.approval_id}", json=decision, headers=SUPER)
    # The same decision by a second, different supervisor is not a retry: 409.
    second = client.post(
        f"/v1/approvals/{ticket.approval_id}", json=decision, headers={"X-API-Key": "super2-key"}
    )
    reverse = client.post(
        f"/v1/approvals/{ticket.approval_id}", json={"approve": False}, headers=SUPER
    )
    assert retry.status_code == 200
    assert second.status_code == 409, second.text
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "approved"
    assert reverse.status_code == 409
    with session_factory() as session:
        stored = session.scalars(
            select(Approval).where(Approval.approval_id == ticket.approval_id)
        ).one()
    assert (stored.status, stored.decided_by) == ("approved", "김팀장")
    assert ticket.approval_id not in {
        a["approval_id"] for a in client.get("/v1/approvals", headers=SUPER).json()
    }
    events = _messages(kafka_bootstrap, Topic.TRANSCRIPTS, call_id, 2)
    assert len(events) == 2  # the decision and its retry; none for the refused ones
    event = events[0]
    assert isinstance(event, ApprovalDecided)
    assert (event.approval_id, event.approved, event.decided_by) == (
        ticket.approval_id,
        True,
        "김팀장",
    )
    unknown = client.post("/v1/approvals/apr-missing", json=decision, headers=SUPER)
    assert unknown.status_code == 404


def test_ready_and_the_assistant_runs_the_real_graph(client: TestClient) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"broker": True, "database": True}
    assert ready.json()["assistant"] == "ready"
    response = client.post(
        f"/v1/chat/{uuid.uuid4().hex[:12]}/messages",
        json={"text": "6월 소액결제가 두 번 청구됐어요"},
        headers={"X-API-Key": "it-c1-key"},
    )
    assert response.status_code == 200, response.text
    assert response.text.endswith("event: done\ndata: \n\n")
    assert response.text.startswith("data: ")
