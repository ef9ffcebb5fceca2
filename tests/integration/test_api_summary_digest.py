"""The summary's digest goes through the real database to the API call view and list."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from agents.summary_digest import digest_payload, summary_digest
from services.api import create_app
from services.config import (
    ApiSettings,
    DatabaseSettings,
    LlmSettings,
    PrivacySettings,
    Settings,
)
from services.db import SqlCallStore, seed_world
from services.schemas import (
    CallEnded,
    CallStarted,
    CallSummary,
    Intent,
    SummarySource,
    Topic,
    Utterance,
    decode,
)
from tests.fixtures.api import KEYS
from tests.fixtures.broker import fast_kafka_settings, read_topic
from tests.fixtures.database import small_billing_world

pytestmark = pytest.mark.integration

READER = {"X-API-Key": "reader-key"}
WRITER = {"X-API-Key": "writer-key"}
OWNER = {"X-API-Key": "it-c1-key"}  # bound to customer C-0001
PII_KEY = bytes(range(32))
T0 = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)


@pytest.fixture
def client(
    kafka_bootstrap: str, db_url: str, session_factory: sessionmaker[Session]
) -> Iterator[TestClient]:
    settings = Settings().model_copy(update={
        "kafka": fast_kafka_settings(bootstrap=kafka_bootstrap),
        "database": DatabaseSettings(url=db_url),
        "api": ApiSettings(api_keys=KEYS),
        "llm": LlmSettings(enabled=False),
        "privacy": PrivacySettings(pii_key=SecretStr(base64.b64encode(PII_KEY).decode())),
    })
    seed_world(session_factory.kw["bind"], small_billing_world())
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_the_call_view_and_list_carry_headline_tags_and_items(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    call_id = f"digest-it-{uuid.uuid4().hex[:12]}"
    utterances = [
        {"seq": 0, "speaker": "customer",
         "text": "요금제 바꾸고 싶어요. [전화번호]로 연락 주세요."},
        {"seq": 1, "speaker": "agent", "text": "다음 주 화요일까지 신청서 사본 보내 주세요."},
    ]
    digest = summary_digest({"utterances": utterances}, [Intent.PLAN_CHANGE],  # type: ignore[typeddict-item]
                            call_date=date(2026, 12, 6), flagged=False)
    store = SqlCallStore(session_factory)
    store.record_call_started(event=CallStarted(call_id=call_id, customer_id="C-0001",
                                                occurred_at=T0))
    store.record_call_ended(event=CallEnded(call_id=call_id, utterances=2,
                                            occurred_at=T0 + timedelta(seconds=9)))
    store.record_summary(summary=CallSummary(
        call_id=call_id, occurred_at=T0 + timedelta(seconds=10),
        summary="고객이 요금제 변경 건으로 문의하였습니다.", customer_request="요금제 변경",
        resolution="안내", follow_up="없습니다.", sentiment="중립적입니다.",
        churn_risk="낮음(0.10)입니다.", intents=[Intent.PLAN_CHANGE], churn_score=0.1,
        source=SummarySource.TEMPLATE, utterances=2, **digest_payload(digest),
    ))

    body = client.get(f"/v1/calls/{call_id}", headers=READER).json()["summary"]
    assert body["headline"] == "요금제 변경 문의 통화입니다."
    assert body["tags"] == ["요금제 변경", "후속 조치 있음"]
    assert [s["topic"] for s in body["sections"]] == ["요금제 변경"]
    assert [d["value"] for d in body["items"]["dates"]] == ["2026-12-08"]
    assert body["items"]["identifiers"] == [{"kind": "phone", "masked": "[전화번호]", "seq": 0}]
    assert [a["text"] for a in body["items"]["actions"]] == [
        "상담사: 다시 연락", "고객: 12월 8일(화)까지 서류 제출"]

    rows = client.get("/v1/calls", headers=READER).json()
    (row,) = [r for r in rows if r["call_id"] == call_id]
    assert row["summary_headline"] == "요금제 변경 문의 통화입니다."
    assert row["summary_tags"] == ["요금제 변경", "후속 조치 있음"]


def test_a_number_said_in_the_call_is_masked_for_staff_and_shown_to_its_owner(
    client: TestClient, kafka_bootstrap: str, session_factory: sessionmaker[Session]
) -> None:
    call_id = f"digest-pii-{uuid.uuid4().hex[:12]}"
    said = "환불은 제 번호 010-2345-6789로 문자 주세요"
    answers = [
        client.post("/v1/calls", json={"call_id": call_id, "customer_id": "C-0001"},
                    headers=WRITER),
        client.post(f"/v1/calls/{call_id}/utterances",
                    json={"seq": 0, "speaker": "customer", "text": said}, headers=WRITER),
    ]
    assert [a.status_code for a in answers] == [202, 202]
    # What the API published is what the agent graph keeps for the summary (session.py).
    records = [r for r in read_topic(kafka_bootstrap, str(Topic.TRANSCRIPTS), min_records=2)
               if r.key == call_id.encode()]
    assert all(b"2345" not in r.value for r in records)
    (utterance,) = [m for m in (decode(Topic.TRANSCRIPTS, r.value) for r in records)
                    if isinstance(m, Utterance)]
    seen = {"seq": 0, "speaker": "customer", "text": utterance.text,
            "identifiers": [i.model_dump() for i in utterance.identifiers]}
    digest = summary_digest({"utterances": [seen]}, [Intent.PLAN_CHANGE],  # type: ignore[typeddict-item]
                            call_date=date(2026, 12, 6), flagged=False)
    SqlCallStore(session_factory).record_summary(summary=CallSummary(
        call_id=call_id, occurred_at=T0, summary="요금 문의", customer_request="문자 안내",
        resolution="안내", follow_up="없습니다.", sentiment="중립적입니다.",
        churn_risk="낮음(0.10)입니다.", intents=[Intent.PLAN_CHANGE], churn_score=0.1,
        source=SummarySource.TEMPLATE, utterances=1, **digest_payload(digest),
    ))

    staff = client.get(f"/v1/calls/{call_id}", headers=READER).json()["summary"]["items"]
    assert staff["identifiers"] == [{"kind": "phone", "masked": "010-****-6789", "seq": 0}]
    owner = client.get(f"/v1/calls/{call_id}", headers=OWNER).json()["summary"]["items"]
    assert owner["identifiers"] == [
        {"kind": "phone", "masked": "010-****-6789", "seq": 0, "value": "010-2345-6789"}]
    other = client.get(f"/v1/calls/{call_id}", headers={"X-API-Key": "it-c2-key"})
    assert other.status_code == 404  # another customer does not learn the call exists
