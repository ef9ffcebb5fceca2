"""The agent stage on a real database and checkpointer: a call survives a worker restart.

SQLite always, PostgreSQL when KCALL_TEST_DATABASE_URL is set. The fast intent tier is the
real trained classifier (cached in pytest's cache dir after the first run); the LLM is off
so every node takes its deterministic path.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from agents.intents import IntentClassifier
from pipelines.bootstrap import build_agent_runtime
from pipelines.stage import Incoming, Outgoing
from services.config.settings import DatabaseSettings, LlmSettings, PathSettings, Settings
from services.db import SqlApprovalStore, seed_world, session_factory
from services.db.models.money import Credit
from services.schemas import (
    ApprovalDecided,
    CallEnded,
    CallInsight,
    CallStarted,
    CallSummary,
    DisputeOutcome,
    Intent,
    Message,
    Speaker,
    Topic,
    Utterance,
)
from tests.unit.agents.fakes import FakeClock, world

pytestmark = pytest.mark.integration

CALL = "call-restart-1"
LINES = [
    (Speaker.CUSTOMER, "안녕하세요 요금 때문에 전화드렸어요"),
    (Speaker.AGENT, "네 고객님 무엇을 도와드릴까요"),
    (Speaker.CUSTOMER, "지난달 해외에 간 적이 없는데 로밍 요금이 나왔어요"),
    (Speaker.CUSTOMER, "이런 일이 또 생기면 KT로 번호이동할 거예요"),
    (Speaker.AGENT, "불편을 드려 죄송합니다 확인 후 처리해 드리겠습니다"),
]


def _settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database=DatabaseSettings(url=db_url), llm=LlmSettings(enabled=False),
                    paths=PathSettings(data=tmp_path))


def _utterance(seq: int) -> Utterance:
    speaker, text = LINES[seq]
    return Utterance(call_id=CALL, seq=seq, speaker=speaker, text=text, start_ms=seq * 3000,
                     end_ms=seq * 3000 + 2500, confidence=0.9, source="asr")


def _in(message: Message, offset: int) -> Incoming:
    return Incoming(message=message, partition=0, offset=offset)


def _only(outputs: list[Outgoing] | tuple[Outgoing, ...], topic: Topic) -> list[Message]:
    return [o.message for o in outputs if o.topic is topic]


def test_call_survives_a_worker_restart(
    db_url: str, migrated_engine: Engine, intent_model: IntentClassifier, tmp_path: Path
) -> None:
    seed_world(migrated_engine, world("roaming_without_usage", roaming_krw=55_000))
    settings = _settings(db_url, tmp_path)
    clock = FakeClock()
    started = CallStarted(call_id=CALL, customer_id="C1")
    ended = CallEnded(call_id=CALL, utterances=len(LINES))

    # Worker 1: the start, three utterances (one a dispute over the limit), and an early end.
    with build_agent_runtime(settings, llm_base_url=None, intents=intent_model,
                             clock=clock) as runtime:
        handler = runtime.handler()
        assert list(handler.handle(_in(started, 0))) == []
        first = [*handler.handle(_in(_utterance(0), 1)), *handler.handle(_in(_utterance(1), 2))]
        dispute_out = list(handler.handle(_in(_utterance(2), 3)))
        assert list(handler.handle(_in(ended, 4))) == []  # seq 3 and 4 have not arrived
        assert handler.safe_offset(0) == 4
    assert len(_only(first, Topic.INSIGHTS)) == 1  # the agent's turn emits nothing
    insight = _only(dispute_out, Topic.INSIGHTS)[0]
    assert isinstance(insight, CallInsight) and insight.dispute is not None
    assert insight.intent is Intent.BILLING_DISPUTE
    assert insight.dispute.outcome is DisputeOutcome.PENDING_APPROVAL
    assert insight.dispute.rule == "roaming_without_usage" and insight.dispute.amount_krw == 55_000
    approval_id = insight.dispute.approval_id
    assert approval_id is not None

    # The supervisor approves while no worker runs.
    # Through the test's own engine: the first worker's engine was disposed with it.
    approvals = SqlApprovalStore(session_factory(migrated_engine), clock=clock)
    approvals.decide_approval(approval_id=approval_id, approve=True, decided_by="supervisor-7")

    # Worker 2, same database: offsets from 3 on were never committed, so they come again.
    with build_agent_runtime(settings, llm_base_url=None, intents=intent_model,
                             clock=clock) as runtime:
        handler = runtime.handler()
        again = _only(list(handler.handle(_in(_utterance(2), 3))), Topic.INSIGHTS)
        assert again == [insight]  # replayed from the checkpoint, same message id
        assert list(handler.handle(_in(ended, 4))) == []  # still waiting for 3 and 4
        decided = ApprovalDecided(call_id=CALL, approval_id=approval_id, approved=True,
                                  decided_by="supervisor-7")
        # The decision re-publishes the dispute's insight as a newer rules revision.
        settled = list(handler.handle(_in(decided, 5)))
        (restated,) = _only(settled, Topic.INSIGHTS)
        assert isinstance(restated, CallInsight) and restated.dispute is not None
        assert restated.dispute.outcome is DisputeOutcome.CREDIT_ISSUED
        assert restated.revision == insight.revision + 2
        # A redelivered decision changes nothing: the same messages, no second credit.
        assert list(handler.handle(_in(decided, 5))) == settled
        churn = _only(list(handler.handle(_in(_utterance(3), 6))), Topic.INSIGHTS)[0]
        closing = list(handler.handle(_in(_utterance(4), 7)))
        assert handler.safe_offset(0) is None
    assert isinstance(churn, CallInsight)
    assert churn.churn_score > insight.churn_score
    assert {"competitor_mention", "port_out_intent"} <= {s.name for s in churn.churn_signals}

    summaries = _only(closing, Topic.SUMMARIES)
    assert len(summaries) == 1
    summary = summaries[0]
    assert isinstance(summary, CallSummary)
    assert summary.utterances == len(LINES)
    assert Intent.BILLING_DISPUTE in summary.intents and Intent.PORT_OUT in summary.intents
    assert summary.dispute is not None
    assert summary.dispute.outcome is DisputeOutcome.CREDIT_ISSUED
    assert "김민준" not in summary.model_dump_json()

    with Session(migrated_engine) as session:
        credits = session.scalars(select(Credit)).all()
        assert [(c.idempotency_key, c.amount_krw, c.approval_id) for c in credits] == [
            ("credit:C1:L3", 55_000, approval_id)]
        assert session.scalar(select(func.count()).select_from(Credit)) == 1
