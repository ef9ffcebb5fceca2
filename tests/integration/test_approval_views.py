"""Views follow the money: after a supervisor's decision, ledger, call view and summary agree.

Real database (SQLite, and PostgreSQL when KCALL_TEST_DATABASE_URL is set), the real agent
runtime (checkpointer on that database) and the real sink; the decision goes through the
API's commands (`decide_approval`), and its event through the agent handler, whose
outputs the sink applies as the runner would. The broker itself is covered elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from agents.intents import IntentClassifier
from pipelines.bootstrap import build_agent_runtime
from pipelines.sink import SinkHandler
from pipelines.stage import Incoming, Outgoing
from services.api.commands import SqlApiCommands
from services.api.read_model import SqlCallReadModel
from services.config.settings import DatabaseSettings, LlmSettings, PathSettings, Settings
from services.db import seed_world, session_factory
from services.db.models.money import Credit
from services.schemas import (
    ApprovalDecided,
    CallEnded,
    CallInsight,
    CallStarted,
    Message,
    Speaker,
    Utterance,
)
from tests.unit.agents.fakes import FakeClock, world

pytestmark = pytest.mark.integration

TEXT = "지난달 해외에 간 적이 없는데 로밍 요금이 나왔어요"


def _apply(sink: SinkHandler, outputs: Sequence[Outgoing], offset: int) -> None:
    for output in outputs:
        assert output.refused is None
        sink.handle(Incoming(message=output.message, partition=0, offset=offset))


def _run(handler, sink: SinkHandler, messages: list[Message]) -> list[Outgoing]:  # type: ignore[no-untyped-def]
    outputs: list[Outgoing] = []
    for offset, message in enumerate(messages):
        sink.handle(Incoming(message=message, partition=0, offset=offset))  # transcripts
        out = list(handler.handle(Incoming(message=message, partition=0, offset=offset)))
        _apply(sink, out, offset)
        outputs += out
    return outputs


@pytest.mark.parametrize("approve", [True, False], ids=["approved", "rejected"])
def test_ledger_call_view_and_summary_agree_after_each_decision(
    db_url: str, migrated_engine: Engine, intent_model: IntentClassifier, tmp_path: Path,
    approve: bool,
) -> None:  # fmt: skip
    seed_world(migrated_engine, world("roaming_without_usage", roaming_krw=55_000))
    settings = Settings(database=DatabaseSettings(url=db_url), llm=LlmSettings(enabled=False),
                        paths=PathSettings(data=tmp_path))
    call_id = f"views-{'ok' if approve else 'no'}"
    sessions = session_factory(migrated_engine)
    sink = SinkHandler(sessions)
    read_model = SqlCallReadModel(sessions)
    clock = FakeClock()
    with build_agent_runtime(settings, llm_base_url=None, intents=intent_model,
                             clock=clock) as runtime:
        handler = runtime.handler()
        said = Utterance(call_id=call_id, seq=0, speaker=Speaker.CUSTOMER, text=TEXT,
                         start_ms=0, end_ms=2000, confidence=0.9)
        outputs = _run(handler, sink, [CallStarted(call_id=call_id, customer_id="C1"), said,
                                       CallEnded(call_id=call_id, utterances=1)])
        handler.tick(0.0)  # flush the write-behind state, as the runner does before commit
        before = read_model.call_view(call_id)
        assert before is not None and before["summary"] is not None
        assert before["disputes"][0]["outcome"] == "pending_approval"
        assert "관리자 승인을 기다리고 있습니다" in before["summary"]["resolution"]
        insight = next(o.message for o in outputs if isinstance(o.message, CallInsight))
        assert insight.dispute is not None and insight.dispute.approval_id is not None
        approval_id = insight.dispute.approval_id

        clock.current += timedelta(minutes=5)  # the supervisor decides a while later
        SqlApiCommands(sessions).decide_approval(approval_id, approve=approve, decided_by="김팀장")
        decided = ApprovalDecided(call_id=call_id, approval_id=approval_id, approved=approve,
                                  decided_by="김팀장")
        for offset in (10, 11):  # the decision event, then a redelivered copy
            _apply(sink, handler.handle(Incoming(message=decided, partition=0, offset=offset)),
                   offset)
        handler.tick(0.0)

    view = read_model.call_view(call_id)
    assert view is not None
    with Session(migrated_engine) as session:
        credits = session.scalars(select(Credit).where(Credit.call_id == call_id)).all()
    (dispute,) = view["disputes"]
    summary = view["summary"]
    (dispute_insight,) = [i for i in view["insights"] if i["dispute"] is not None]
    text = f"{summary['summary']} {summary['resolution']} {summary['follow_up']}"
    assert "기다리고" not in text + dispute["explanation"]
    if approve:
        (credit,) = credits
        assert credit.approval_id == approval_id
        assert dispute["outcome"] == summary["dispute"]["outcome"] == "credit_issued"
        assert dispute_insight["dispute"]["outcome"] == "credit_issued"
        assert dispute["amount_krw"] == summary["dispute"]["amount_krw"] == credit.amount_krw
        stated = f"{credit.amount_krw:,}원 감면이 관리자 승인으로 처리되었습니다"
        assert stated in summary["summary"]
    else:
        assert credits == []
        assert dispute["outcome"] == summary["dispute"]["outcome"] == "rejected"
        assert dispute_insight["dispute"]["outcome"] == "rejected"
        assert "승인되지 않았습니다" in summary["resolution"] + dispute["explanation"]
    assert summary["revision"] == 2 and summary["source"] == "rules"
    assert dispute_insight["revision"] == 2
