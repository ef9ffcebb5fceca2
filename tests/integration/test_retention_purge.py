"""`kcall retention run`'s purge on real SQLite and PostgreSQL with the real LangGraph checkpointer.

Calls and their rows are seeded at several ages against a fixed clock; the purge must leave
nothing older than its period (but what an unsettled approval holds and what money law
keeps) and touch nothing younger; a dry run changes nothing; a second run deletes nothing.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver, empty_checkpoint
from langgraph.graph import END, START, StateGraph
from sqlalchemy import Engine, MetaData, func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from services.cli.main import app
from services.config import RetentionSettings, get_settings
from services.db import make_engine, open_checkpointer, seed_world
from services.db.models import (
    AccessLogRow,
    Approval,
    AuditEntry,
    Call,
    ChurnFlag,
    Credit,
    Dispute,
    HandoffRow,
    InsightRow,
    ProcessedMessage,
    RetentionOffer,
    SummaryRow,
    UtteranceRow,
)
from services.db.models.money import CreditCallTotal, CreditDayTotal
from services.db.retention import HELD_CALLS, CheckpointThreads, purge_database
from services.db.retention_plan import DataKind, plan_retention
from tests.fixtures.database import small_billing_world

pytestmark = pytest.mark.integration

NOW = datetime(2027, 6, 1, 3, 0, tzinfo=UTC)
SETTINGS = RetentionSettings(batch_size=2)  # small batches: several transactions per kind


def _ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


class _State(TypedDict, total=False):
    heard: Annotated[list[str], operator.add]


def _graph_thread(saver: BaseCheckpointSaver[Any], thread_id: str) -> None:
    """A real graph run: checkpoints, blobs and writes as the agent leaves them."""
    builder = StateGraph(_State)
    builder.add_node("hear", lambda state: {"heard": ["네, 확인해 드릴게요."]})
    builder.add_edge(START, "hear")
    builder.add_edge("hear", END)
    builder.compile(checkpointer=saver).invoke(
        {"heard": ["요금이 이상해요"]}, {"configurable": {"thread_id": thread_id}}
    )


def _aged_thread(saver: BaseCheckpointSaver[Any], thread_id: str, at: datetime) -> None:
    """A checkpoint written at `at` (LangGraph stamps `ts` itself; here it is planted)."""
    checkpoint = empty_checkpoint()
    checkpoint["ts"] = at.isoformat()
    checkpoint["channel_values"] = {"heard": ["안녕하세요"]}
    checkpoint["channel_versions"] = {"heard": 1}
    saver.put({"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}, checkpoint,
              {"source": "input", "step": -1}, {"heard": 1})  # fmt: skip


def _call_rows(call_id: str, ended: datetime, *, stub: bool = False) -> list[Any]:
    rows: list[Any] = [
        Call(call_id=call_id, customer_id="C-0001", source="voice",
             status="active" if stub else "ended",
             started_at=None if stub else ended - timedelta(minutes=9),
             ended_at=None if stub else ended),
        UtteranceRow(call_id=call_id, seq=0, message_id=f"{call_id}-u0", speaker="customer",
                     text="요금이 두 번 나왔어요", start_ms=0, end_ms=900, confidence=0.9,
                     source="voice", occurred_at=ended - timedelta(minutes=5)),
        InsightRow(call_id=call_id, utterance_seq=0, message_id=f"{call_id}-i0",
                   occurred_at=ended - timedelta(minutes=5), intent="billing_dispute",
                   intent_confidence=0.9, intent_tier="fast", churn_score=0.7, churn_flag=True,
                   churn_signals=[], dispute=None, actions=[], assist=[], fallbacks=[]),
    ]  # fmt: skip
    if stub:
        return rows
    return [
        *rows,
        SummaryRow(call_id=call_id, message_id=f"{call_id}-s", occurred_at=ended,
                   payload={}, summary="중복 청구 문의", churn_score=0.7, source="rules"),
        Dispute(dispute_key=f"{call_id}:dup", call_id=call_id, utterance_seq=0,
                outcome="explained", rule="duplicate_charge", amount_krw=0, invoice_id=None,
                invoice_line_ids=[], explanation="설명", updated_at=ended),
        ChurnFlag(call_id=call_id, utterance_seq=0, score=0.7, signals=[], flagged_at=ended),
        RetentionOffer(call_id=call_id, offer_code="DATA_BONUS", utterance_seq=0,
                       offered_at=ended),
        HandoffRow(handoff_id=f"h-{call_id}", call_id=call_id, customer_id="C-0001",
                   source="voice", reason="requested", utterance_seq=0, evidence="상담원",
                   message="상담원 연결", requested_at=ended),
        AuditEntry(call_id=call_id, actor="model:summary", action="summarize", detail={},
                   at=ended),
        ProcessedMessage(consumer="sink", message_id=f"{call_id}-s", processed_at=ended),
    ]  # fmt: skip


def _approval(approval_id: str, call_id: str, status: str, at: datetime) -> Approval:
    return Approval(approval_id=approval_id, idempotency_key=f"key-{approval_id}",
                    call_id=call_id, customer_id="C-0001", amount_krw=40000, reason="중복 청구",
                    status=status, requested_at=at,
                    decided_at=None if status == "pending" else at,
                    consumed_at=at if status == "consumed" else None)  # fmt: skip


def _credit(credit_id: str, call_id: str, approval_id: str, at: datetime) -> list[Any]:
    return [
        Credit(credit_id=credit_id, idempotency_key=f"key-{credit_id}", customer_id="C-0001",
               invoice_id=None, amount_krw=40000, reason="중복 청구 환급", call_id=call_id,
               approval_id=approval_id, created_at=at),
        CreditCallTotal(call_id=call_id, total_krw=40000, credits=1, updated_at=at),
        CreditDayTotal(customer_id="C-0001", day=date(at.year, at.month, at.day),
                       total_krw=40000, credits=1, updated_at=at),
    ]  # fmt: skip


@pytest.fixture
def seeded(
    migrated_engine: Engine, session_factory: sessionmaker[Session], db_url: str
) -> Iterator[tuple[Engine, BaseCheckpointSaver[Any]]]:
    """The database and checkpointer with calls and records at every age."""
    engine = migrated_engine
    seed_world(engine, small_billing_world())
    rows: list[Any] = [
        *_call_rows("old-ended", _ago(400)),
        *_call_rows("young-ended", _ago(100)),
        *_call_rows("old-stub", _ago(500), stub=True),
        *_call_rows("old-held", _ago(400)),
        *_call_rows("old-credit", _ago(400)),
        *_call_rows("chat-old", _ago(366)),
        _approval("A-rejected-old", "old-ended", "rejected", _ago(400)),
        _approval("A-rejected-young", "young-ended", "rejected", _ago(100)),
        _approval("A-pending-old", "old-held", "pending", _ago(400)),
        _approval("A-consumed-old", "old-credit", "consumed", _ago(400)),
        _approval("A-consumed-ancient", "gone-call", "consumed", _ago(2000)),
        AccessLogRow(at=_ago(800), key_id="k1", role="supervisor", subject="kim", action="read",
                     resource="call", resource_id="old-ended", customer_id="C-0001"),
        AccessLogRow(at=_ago(400), key_id="k1", role="supervisor", subject="kim", action="read",
                     resource="call", resource_id="old-ended", customer_id="C-0001"),
        AuditEntry(call_id="gone-call", actor="tool:credit", action="issue", detail={},
                   at=_ago(2000)),
        ProcessedMessage(consumer="agent", message_id="young-m", processed_at=_ago(10)),
    ]  # fmt: skip
    credits = [*_credit("CR-old", "old-credit", "A-consumed-old", _ago(400)),
               *_credit("CR-ancient", "gone-call", "A-consumed-ancient", _ago(2000))]  # fmt: skip
    with session_factory.begin() as session:
        session.add_all([row for row in rows if not isinstance(row, Approval)])
        session.flush()
        session.add_all([row for row in rows if isinstance(row, Approval)])
        session.flush()
        session.add_all(credits)
    with open_checkpointer(db_url) as saver:
        for call_id in ("old-ended", "young-ended", "old-stub", "old-held", "old-credit",
                        "chat-old"):
            _graph_thread(saver, call_id)
        _graph_thread(saver, "old-ended/approval/A-rejected-old")
        _graph_thread(saver, "old-held/approval/A-pending-old")
        _graph_thread(saver, "young-ended/approval/A-rejected-young")
        _aged_thread(saver, "chat-orphan-old", _ago(400))
        _aged_thread(saver, "chat-orphan-young", _ago(10))
        _aged_thread(saver, "old-ended_x", _ago(10))  # begins like a call's id: not its thread
        # Approval threads whose approval row is gone: aged with the call, or alone after it.
        _aged_thread(saver, "old-credit/approval/A-gone", _ago(400))
        _aged_thread(saver, "young-ended/approval/A-gone", _ago(400))
        yield engine, saver


def _purge(engine: Engine, saver: BaseCheckpointSaver[Any], db_url: str, *, dry_run: bool
           ) -> dict[str, int]:  # fmt: skip
    checkpoint_engine = make_engine(db_url)
    try:
        threads = CheckpointThreads(saver, checkpoint_engine)
        plan = plan_retention(SETTINGS, NOW)
        return dict(purge_database(engine, plan, threads=threads, dry_run=dry_run))
    finally:
        checkpoint_engine.dispose()


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the checkpointer's included), sorted."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: sorted(tuple(map(repr, row)) for row in connection.execute(select(t)))
            for name, t in metadata.tables.items()
        }


def _threads(engine: Engine) -> set[str]:
    metadata = MetaData()
    metadata.reflect(engine, only=["checkpoints"])
    checkpoints = metadata.tables["checkpoints"]
    with engine.connect() as connection:
        return set(connection.scalars(select(checkpoints.c.thread_id).distinct()))


def _values(engine: Engine, column: Any) -> set[Any]:
    with engine.connect() as connection:
        return set(connection.scalars(select(column)))


EXPECTED = {
    DataKind.CALLS: 4,  # old-ended, old-stub, old-credit, chat-old
    DataKind.UTTERANCES: 4,
    DataKind.INSIGHTS: 4,
    DataKind.SUMMARIES: 3,
    DataKind.DISPUTES: 3,
    DataKind.CHURN_FLAGS: 3,
    DataKind.RETENTION_OFFERS: 3,
    DataKind.HANDOFFS: 3,
    # 4 calls' + old-ended's approval thread + chat-orphan-old + old-credit/approval/A-gone
    DataKind.CHECKPOINT_THREADS: 7,
    DataKind.APPROVALS: 2,  # A-rejected-old, A-consumed-ancient (its credit gone first)
    DataKind.INBOX: 4,  # aged alone: the held call's goes too
    DataKind.AUDIT_LOG: 5,  # aged alone: 4 calls' (the held one's too) + the ancient credit's
    DataKind.ACCESS_LOG: 1,
    DataKind.CREDITS: 1,
    DataKind.CREDIT_CALL_TOTALS: 1,
    DataKind.CREDIT_DAY_TOTALS: 1,
    HELD_CALLS: 1,
}


def test_purge_leaves_nothing_past_its_period_and_touches_nothing_younger(
    seeded: tuple[Engine, BaseCheckpointSaver[Any]], db_url: str
) -> None:
    engine, saver = seeded
    before = _snapshot(engine)

    dry = _purge(engine, saver, db_url, dry_run=True)
    assert _snapshot(engine) == before, "a dry run changed something"

    done = _purge(engine, saver, db_url, dry_run=False)
    assert {k: v for k, v in done.items() if v} == {str(k): v for k, v in EXPECTED.items()}
    assert {k: v for k, v in dry.items() if v} == {k: v for k, v in done.items() if v}

    # What is younger than its period, or held, is all there; nothing older is.
    assert _values(engine, Call.call_id) == {"young-ended", "old-held"}
    for model in (UtteranceRow, InsightRow, SummaryRow, Dispute, ChurnFlag, RetentionOffer,
                  HandoffRow):  # fmt: skip
        assert _values(engine, model.call_id) == {"young-ended", "old-held"}, model
    assert _threads(engine) == {
        "young-ended", "young-ended/approval/A-rejected-young", "young-ended/approval/A-gone",
        "old-held",
        "old-held/approval/A-pending-old", "chat-orphan-young", "old-ended_x",
    }  # fmt: skip
    # Money: the 400-day-old credit (and the approval it points at) stay for 5 years.
    assert _values(engine, Credit.credit_id) == {"CR-old"}
    assert _values(engine, CreditCallTotal.call_id) == {"old-credit"}
    assert _values(engine, Approval.approval_id) == {
        "A-rejected-young", "A-pending-old", "A-consumed-old"
    }
    assert len(_values(engine, CreditDayTotal.day)) == 1
    assert _values(engine, AuditEntry.call_id) == {"young-ended"}
    assert _values(engine, AccessLogRow.at) == {_ago(400)}
    assert _values(engine, ProcessedMessage.message_id) == {"young-ended-s", "young-m"}

    # The rest of the world (billing) is untouched.
    after = _snapshot(engine)
    for name in ("customers", "plans", "invoices", "invoice_lines", "payments", "consents",
                 "usage_records", "api_keys"):  # fmt: skip
        assert after[name] == before[name], name

    again = _purge(engine, saver, db_url, dry_run=False)
    assert {k: v for k, v in again.items() if v} == {HELD_CALLS: 1}
    assert _snapshot(engine) == after


def test_nothing_older_than_a_period_survives_by_timestamp(
    seeded: tuple[Engine, BaseCheckpointSaver[Any]], db_url: str
) -> None:
    """A sweep over every timestamp column, independent of the seeded call names."""
    engine, saver = seeded
    _purge(engine, saver, db_url, dry_run=False)
    plan = plan_retention(SETTINGS, NOW)
    held = {"old-held"}
    with engine.connect() as connection:
        def older(column: Any, cutoff: datetime, *extra: Any) -> int:
            stmt = select(func.count()).where(column < cutoff, *extra)
            return int(connection.scalar(stmt) or 0)

        assert older(Call.ended_at, plan.calls, Call.call_id.not_in(held)) == 0
        assert older(UtteranceRow.occurred_at, plan.calls, UtteranceRow.call_id.not_in(held)) == 0
        assert older(InsightRow.occurred_at, plan.calls, InsightRow.call_id.not_in(held)) == 0
        assert older(SummaryRow.occurred_at, plan.calls, SummaryRow.call_id.not_in(held)) == 0
        assert older(AuditEntry.at, plan.audit) == 0
        assert older(ProcessedMessage.processed_at, plan.calls) == 0
        assert older(AccessLogRow.at, plan.access_log) == 0
        assert older(Credit.created_at, plan.money) == 0
        assert older(CreditDayTotal.updated_at, plan.money) == 0
        assert older(Approval.requested_at, plan.money) == 0
    checkpoint_engine = make_engine(db_url)
    try:
        threads = CheckpointThreads(saver, checkpoint_engine)
        for thread_id in threads.page("", 1000):
            root = thread_id.split("/", 1)[0]
            newest = threads.newest_at(thread_id)
            assert root in held or root == "young-ended" or (
                newest is not None and newest >= plan.calls
            ), thread_id
    finally:
        checkpoint_engine.dispose()


def _row(output: str, kind: str) -> int:
    """The count on the table line of `kind` in the command's output."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│┃ ").split("│")]
        if len(cells) == 2 and cells[0] == kind:
            return int(cells[1])
    raise AssertionError(f"no {kind} line in:\n{output}")


def test_kcall_retention_run_dry_then_for_real(
    seeded: tuple[Engine, BaseCheckpointSaver[Any]], db_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine, _ = seeded
    spans = tmp_path / "spans.jsonl"
    old_ns = int(_ago(400).timestamp() * 1e9)
    spans.write_text(json.dumps({"name": "agent", "end_ns": old_ns}) + "\n", encoding="utf-8")
    monkeypatch.setenv("KCALL_DATABASE_URL", db_url)
    monkeypatch.setenv("KCALL_PATHS_DATA", str(tmp_path))
    monkeypatch.setenv("KCALL_TRACE_FILE", str(spans))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        before = _snapshot(engine)
        dry = runner.invoke(app, ["retention", "run", "--dry-run", "--now", NOW.isoformat()])
        assert dry.exit_code == 0, dry.output
        assert _snapshot(engine) == before
        assert (_row(dry.output, "calls"), _row(dry.output, "trace_spans")) == (4, 1)

        done = runner.invoke(app, ["retention", "run", "--now", NOW.isoformat()])
        assert done.exit_code == 0, done.output
        assert _row(done.output, "calls") == 4
        assert _row(done.output, "checkpoint_threads") == 7
        assert spans.read_text(encoding="utf-8") == ""
        assert _values(engine, Call.call_id) == {"young-ended", "old-held"}

        bad = runner.invoke(app, ["retention", "run", "--now", "yesterday"])
        assert bad.exit_code == 2 and "ISO 8601" in bad.output
    finally:
        get_settings.cache_clear()
