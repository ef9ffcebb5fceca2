"""A call whose customer asks for a person reaches the human agents' queue, through the
real broker, agent and sink stages and the API on the real database.

Private embedded broker, the real agent stage (SQL checkpointer, trained fast tier, LLM
off) and the real sink stage on SQLite and PostgreSQL (KCALL_TEST_DATABASE_URL); the
API's routes run on the real read model and access log. The request utterance is sent
twice (a redelivery): the queue still holds one handoff, which one agent claims, and a
second claim is a 409.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from agents.intents import IntentClassifier
from agents.policies.handoff import HANDOFF_MESSAGE
from pipelines.bootstrap import build_agent_runtime
from pipelines.sink import SinkHandler
from pipelines.stage import Incoming
from services.api import ApiBackends, create_app
from services.api.call_registry import SqlCallRegistry
from services.api.commands import SqlApiCommands
from services.api.read_model import SqlCallReadModel
from services.broker import Publisher
from services.config.settings import (
    ApiSettings,
    DatabaseSettings,
    LlmSettings,
    PathSettings,
    Settings,
)
from services.db import HandoffAlreadyClaimed, SqlHandoffQueue, seed_world, session_factory
from services.db.models import HandoffRow
from services.db.repositories.api_access import SqlAccessLog
from services.schemas import (
    HandoffReason,
    HandoffRequested,
    Speaker,
    Topic,
    decode,
)
from tests.fixtures.api import FakePublisher
from tests.fixtures.broker import (
    StageThread,
    fast_kafka_settings,
    read_topic,
    send_text_call,
    unique_name,
)
from tests.unit.agents.fakes import world

pytestmark = pytest.mark.integration

AGENT_A = {"X-API-Key": "agent-a"}
AGENT_B = {"X-API-Key": "agent-b"}
ASKS = [
    (Speaker.AGENT, "감사합니다, 고객님. 무엇을 도와드릴까요?"),
    (Speaker.CUSTOMER, "요금이 너무 많이 나왔는데요. 저기요, 그냥 상담원 좀 연결해 주세요."),
    (Speaker.AGENT, "네, 고객님. 잠시만 기다려 주세요."),
]
NORMAL = [
    (Speaker.AGENT, "감사합니다, 고객님. 무엇을 도와드릴까요?"),
    (Speaker.CUSTOMER, "상담원 연결은 안 해도 돼요. 요금 미납 문자 왔던데 지금 바로 낼게요."),
]


@contextmanager
def _api(engine: Engine) -> Iterator[TestClient]:
    sessions = session_factory(engine)

    @contextmanager
    def backends(_: Settings) -> Iterator[ApiBackends]:
        yield ApiBackends(publisher=FakePublisher(), read_model=SqlCallReadModel(sessions),
                          commands=SqlApiCommands(sessions), calls=SqlCallRegistry(sessions),
                          access_log=SqlAccessLog(sessions))

    keys = {"agent-a": ["calls:read", "supervisor:상담원A"],
            "agent-b": ["calls:read", "supervisor:상담원B"]}
    settings = Settings().model_copy(update={"api": ApiSettings(api_keys=keys)})
    with TestClient(create_app(settings, backends=backends)) as client:
        yield client


def _queue_until(client: TestClient, count: int, timeout_s: float = 120.0) -> list[Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        response = client.get("/v1/handoffs", headers=AGENT_A)
        assert response.status_code == 200, response.text
        if len(response.json()) >= count or time.monotonic() > deadline:
            return list(response.json())
        time.sleep(0.5)


def test_a_call_asking_for_a_person_is_queued_once_and_claimed_once(
    private_kafka_bootstrap: str, db_url: str, migrated_engine: Engine,
    intent_model: IntentClassifier, tmp_path: Path,
) -> None:
    seed_world(migrated_engine, world(None))
    settings = Settings(
        database=DatabaseSettings(url=db_url), llm=LlmSettings(enabled=False),
        paths=PathSettings(data=tmp_path), kafka=fast_kafka_settings())
    asks_id, normal_id = unique_name("asks"), unique_name("normal")
    sink = SinkHandler(session_factory(migrated_engine))
    with build_agent_runtime(settings, llm_base_url=None, intents=intent_model) as runtime, \
            StageThread(runtime.handler(), bootstrap=private_kafka_bootstrap,
                        settings=settings), \
            StageThread(sink, bootstrap=private_kafka_bootstrap, settings=settings):
        with Publisher(private_kafka_bootstrap, settings.kafka) as publisher:
            send_text_call(publisher, asks_id, ASKS, repeat=1)
            send_text_call(publisher, normal_id, NORMAL)
            publisher.flush()
        read_topic(private_kafka_bootstrap, Topic.SUMMARIES.value, min_records=2, timeout_s=120)
        records = read_topic(private_kafka_bootstrap, Topic.HANDOFFS.value, min_records=1,
                             timeout_s=60)
        with _api(migrated_engine) as client:
            queue = _queue_until(client, 1)
            handoff_id = queue[0]["handoff_id"]
            first = client.post(f"/v1/handoffs/{handoff_id}/claim", headers=AGENT_A)
            second = client.post(f"/v1/handoffs/{handoff_id}/claim", headers=AGENT_B)
            again = client.post(f"/v1/handoffs/{handoff_id}/claim", headers=AGENT_A)
            after = client.get("/v1/handoffs", headers=AGENT_A)
    handoffs = [decode(Topic.HANDOFFS, r.value) for r in records]
    # Both summaries are out, so every handoff the calls raise is already on the topic:
    # none for the declined request, the same one (maybe re-sent on redelivery) for the other.
    assert {r.key for r in records} == {asks_id.encode()}
    assert all(isinstance(h, HandoffRequested) for h in handoffs)
    assert len({h.message_id for h in handoffs}) == 1
    (row,) = queue
    assert row["call_id"] == asks_id and row["customer_id"] == "C1"
    assert row["reason"] == HandoffReason.CUSTOMER_REQUEST.value
    assert row["reason_label"] == "고객 요청" and row["message"] == HANDOFF_MESSAGE
    assert "상담원 좀 연결해 주세요" in row["evidence"] and row["utterance_seq"] == 1
    assert first.status_code == 200 and first.json()["claimed_by"] == "상담원A"
    assert first.json()["status"] == "claimed" and first.json()["claimed_at"] is not None
    assert second.status_code == 409 and again.status_code == 409
    assert after.status_code == 200 and after.json() == []
    with Session(migrated_engine) as session:
        assert session.scalar(select(func.count()).select_from(HandoffRow)) == 1


def test_the_sink_keeps_one_handoff_per_call_and_a_late_copy_never_resets_a_claim(
    migrated_engine: Engine,
) -> None:
    sessions = session_factory(migrated_engine)
    sink, queue = SinkHandler(sessions), SqlHandoffQueue(sessions)
    first = HandoffRequested(call_id="h-call", utterance_seq=1, customer_id="C1",
                             reason=HandoffReason.CUSTOMER_REQUEST, evidence="상담원 연결해 주세요",
                             message=HANDOFF_MESSAGE)
    sink.handle(Incoming(message=first, partition=0, offset=0))
    sink.handle(Incoming(message=first, partition=0, offset=1))  # redelivered
    (waiting,) = queue.waiting()
    assert waiting.handoff_id == first.message_id and waiting.status == "waiting"
    claimed = queue.claim(handoff_id=first.message_id, claimed_by="상담원A")
    assert claimed.claimed_by == "상담원A" and claimed.claimed_at is not None
    # Another request for the same call (a new id, e.g. another reason) changes nothing.
    other = first.model_copy(update={"message_id": "f" * 32,
                                     "reason": HandoffReason.REPEATED_FAILURE})
    sink.handle(Incoming(message=other, partition=0, offset=2))
    assert queue.waiting() == []
    with pytest.raises(HandoffAlreadyClaimed):
        queue.claim(handoff_id=first.message_id, claimed_by="상담원B")
    with Session(migrated_engine) as session:
        (row,) = session.scalars(select(HandoffRow)).all()
    assert (row.status, row.claimed_by, row.reason) == ("claimed", "상담원A", "customer_request")
    assert sink.stats.applied == 2 and sink.stats.duplicates == 1
