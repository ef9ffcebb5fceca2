"""The sink stage against real SQLite and PostgreSQL: redelivery never changes the database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipelines.sink import SinkHandler
from pipelines.stage import Incoming, PoisonMessage
from services.db import SqlCallStore
from services.db.models import Base, ProcessedMessage
from services.schemas import (
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
)

pytestmark = pytest.mark.integration

T0 = datetime(2025, 6, 20, 1, 0, tzinfo=UTC)
TEXTS = ["요금이 이중으로 청구된 것 같아요", "확인해 드리겠습니다", "다른 통신사로 옮길까 봐요"]


def _dispute(outcome: DisputeOutcome, approval_id: str | None) -> DisputeDecision:
    return DisputeDecision(
        outcome=outcome,
        rule="duplicate_charge",
        amount_krw=45000,
        invoice_id="INV-1",
        invoice_line_ids=["L-1", "L-2"],
        idempotency_key="call-s:duplicate_charge:INV-1",
        approval_id=approval_id,
        explanation="중복 청구가 확인되었습니다.",
    )


def _insight(call_id: str, seq: int, *, at: datetime, **changes: Any) -> CallInsight:
    values: dict[str, Any] = dict(
        call_id=call_id,
        occurred_at=at,
        utterance_seq=seq,
        intent=Intent.BILLING_DISPUTE,
        intent_confidence=0.91,
        intent_tier=IntentTier.FAST,
        churn_score=0.2,
        churn_flag=False,
    )
    return CallInsight(**(values | changes))


def call_messages(call_id: str) -> list[Message]:
    """One whole call as the three topics carry it."""
    started = CallStarted(call_id=call_id, customer_id="C-0001", occurred_at=T0)
    utterances = [
        Utterance(
            call_id=call_id,
            seq=i,
            speaker=Speaker.AGENT if i == 1 else Speaker.CUSTOMER,
            text=text,
            start_ms=i * 3000,
            end_ms=i * 3000 + 2500,
            confidence=0.87,
            source="asr",
            occurred_at=T0 + timedelta(seconds=3 * i + 3),
        )
        for i, text in enumerate(TEXTS)
    ]
    port_out = ChurnSignal(name="port_out_intent", weight=0.6, evidence="다른 통신사로 옮길까")
    insights = [
        _insight(
            call_id,
            0,
            at=T0 + timedelta(seconds=4),
            dispute=_dispute(DisputeOutcome.PENDING_APPROVAL, "apr-1"),
            assist=["중복 청구 내역을 안내하세요"],
        ),
        _insight(call_id, 1, at=T0 + timedelta(seconds=7), churn_score=0.3),
        _insight(
            call_id,
            2,
            at=T0 + timedelta(seconds=10),
            intent=Intent.PORT_OUT,
            churn_score=0.81,
            churn_flag=True,
            churn_signals=[port_out],
            actions=["retention_offer:PORTOUT-DEFENSE"],
            fallbacks=["llm:timeout"],
        ),
    ]
    summary = CallSummary(
        call_id=call_id,
        occurred_at=T0 + timedelta(seconds=20),
        summary="중복 청구 문의",
        customer_request="환불",
        resolution="승인 대기",
        follow_up="승인 후 환급",
        sentiment="부정",
        churn_risk="높음",
        intents=[Intent.BILLING_DISPUTE, Intent.PORT_OUT],
        churn_score=0.81,
        source=SummarySource.TEMPLATE,
        utterances=3,
    )
    ended = CallEnded(call_id=call_id, utterances=3, occurred_at=T0 + timedelta(seconds=15))
    return [started, *utterances, ended, *insights, summary]


def deliver(sink: SinkHandler, messages: list[Message]) -> None:
    for offset, message in enumerate(messages):
        assert sink.handle(Incoming(message=message, partition=0, offset=offset)) == []


def snapshot(sessions: sessionmaker[Session]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the sink writes (the inbox aside), in key order."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name == ProcessedMessage.__tablename__:
                continue
            rows = session.execute(select(table).order_by(*table.primary_key.columns))
            tables[table.name] = [tuple(row) for row in rows]
    return tables


@pytest.fixture
def sink(session_factory: sessionmaker[Session]) -> SinkHandler:
    return SinkHandler(session_factory)


def test_redelivery_changes_nothing(
    sink: SinkHandler, session_factory: sessionmaker[Session]
) -> None:
    messages = call_messages("call-s")
    deliver(sink, messages)
    first = snapshot(session_factory)
    assert sink.stats.applied == len(messages)

    deliver(sink, list(reversed(messages)))  # at-least-once: the same messages again
    assert sink.stats.duplicates == len(messages)
    # A producer retry re-sends copies under new message ids: the unique keys still hold.
    deliver(sink, [m.model_copy(update={"message_id": uuid.uuid4().hex}) for m in messages])
    assert snapshot(session_factory) == first

    view = SqlCallStore(session_factory).call_view(call_id="call-s")
    assert view is not None
    assert view.call.status == "ended" and view.call.customer_id == "C-0001"
    assert [u.text for u in view.utterances] == TEXTS
    assert view.utterances == [m for m in messages if isinstance(m, Utterance)]
    assert view.insights == [m for m in messages if isinstance(m, CallInsight)]
    assert view.summary == messages[-1]
    assert [(d.outcome, d.approval_id) for d in view.disputes] == [("pending_approval", "apr-1")]
    assert view.churn is not None
    assert (view.churn.score, view.churn.offers) == (0.81, ["PORTOUT-DEFENSE"])
    assert view.churn.signals[0].evidence == "다른 통신사로 옮길까"


def test_a_newer_insight_revision_wins_and_an_older_one_never_does(
    sink: SinkHandler, session_factory: sessionmaker[Session]
) -> None:
    messages = call_messages("call-s")
    deliver(sink, messages)
    store = SqlCallStore(session_factory)
    # After the supervisor approved, the graph resumed and re-emitted utterance 0's insight.
    resumed = _insight(
        "call-s",
        0,
        at=T0 + timedelta(minutes=5),
        dispute=_dispute(DisputeOutcome.CREDIT_ISSUED, "apr-1"),
    )
    deliver(sink, [resumed])
    after = snapshot(session_factory)
    view = store.call_view(call_id="call-s")
    assert view is not None and view.insights[0] == resumed
    assert [d.outcome for d in view.disputes] == ["credit_issued"]

    original = next(m for m in messages if isinstance(m, CallInsight) and m.utterance_seq == 0)
    stale = original.model_copy(update={"message_id": uuid.uuid4().hex})
    deliver(sink, [stale])
    assert snapshot(session_factory) == after


def test_children_before_the_call_started_make_a_stub_that_is_filled_later(
    sink: SinkHandler, session_factory: sessionmaker[Session]
) -> None:
    started, *rest = call_messages("call-late")
    deliver(sink, [m for m in rest if isinstance(m, CallInsight)])
    store = SqlCallStore(session_factory)
    stub = store.call_view(call_id="call-late")
    assert stub is not None and stub.call.customer_id is None and stub.call.started_at is None
    assert stub.churn is not None and stub.churn.customer_id is None
    deliver(sink, [started, *rest])
    view = store.call_view(call_id="call-late")
    assert view is not None
    assert (view.call.customer_id, view.call.started_at) == ("C-0001", T0)
    assert [flag.customer_id for flag in store.list_churn_flags()] == ["C-0001"]


def test_text_that_bypassed_an_entry_point_is_stored_redacted(
    sink: SinkHandler, session_factory: sessionmaker[Session]
) -> None:
    raw = Utterance(call_id="call-raw", seq=0, speaker=Speaker.CUSTOMER, start_ms=0, end_ms=900,
                    text="제 번호는 010-1234-5678이에요", confidence=1.0)  # fmt: skip
    clean = Utterance(call_id="call-raw", seq=1, speaker=Speaker.CUSTOMER, start_ms=900,
                      end_ms=1800, text="확인해 주세요", confidence=1.0)  # fmt: skip
    deliver(sink, [raw, clean])
    view = SqlCallStore(session_factory).call_view(call_id="call-raw")
    assert view is not None
    assert [u.text for u in view.utterances] == ["제 번호는 [전화번호]이에요", "확인해 주세요"]
    assert sink.stats.late_redactions == 1


def test_poison_and_foreign_messages(
    sink: SinkHandler, session_factory: sessionmaker[Session]
) -> None:
    audio = AudioChunk(
        call_id="call-p", seq=0, channel=Speaker.CUSTOMER, sample_rate=16000, pcm=b"\x00\x00"
    )
    with pytest.raises(PoisonMessage):
        sink.handle(Incoming(message=audio, partition=0, offset=0))
    decided = ApprovalDecided(call_id="call-p", approval_id="apr-1", approved=True, decided_by="s")
    assert sink.handle(Incoming(message=decided, partition=0, offset=1)) == []
    with session_factory() as session:
        assert session.scalars(select(ProcessedMessage)).all() == []  # rolled back, not marked
    assert sink.stats.ignored == 1
    assert sink.sources == (Topic.TRANSCRIPTS, Topic.INSIGHTS, Topic.SUMMARIES, Topic.HANDOFFS)
    assert sink.tick(0.0) == [] and sink.safe_offset(0) is None
    sink.revoke({0, 1})


def test_summary_revisions_a_late_model_one_never_overwrites_a_newer_one(
    sink: SinkHandler, session_factory: sessionmaker[Session]
) -> None:
    from services.schemas import RevisionSource

    messages = call_messages("call-r")
    deliver(sink, messages)
    rules = messages[-1]
    assert isinstance(rules, CallSummary) and rules.revision == 0
    store = SqlCallStore(session_factory)
    model = rules.model_copy(update={
        "message_id": uuid.uuid4().hex, "occurred_at": T0 + timedelta(minutes=1),
        "summary": "고객이 중복 청구를 문의하셨습니다.", "source": RevisionSource.MODEL,
        "revision": 1, "model_tokens": 420})
    deliver(sink, [model])
    view = store.call_view(call_id="call-r")
    assert view is not None and view.summary == model
    assert (view.summary.revision, view.summary.source) == (1, RevisionSource.MODEL)
    after = snapshot(session_factory)
    # The rules' summary redelivered (even re-sent later under a new id) does not undo it ...
    deliver(sink, [rules, rules.model_copy(update={"message_id": uuid.uuid4().hex,
                                                   "occurred_at": T0 + timedelta(minutes=9)})])
    # ... nor does the same model answer again.
    deliver(sink, [model])
    assert snapshot(session_factory) == after
    # A newer revision (e.g. after an approval) wins; the late revision 1 then loses.
    newer = rules.model_copy(update={"message_id": uuid.uuid4().hex, "revision": 2,
                                     "occurred_at": T0 + timedelta(minutes=2)})
    deliver(sink, [newer, model.model_copy(update={"message_id": uuid.uuid4().hex})])
    view = store.call_view(call_id="call-r")
    assert view is not None and view.summary == newer


def test_insight_revisions_carry_their_source_into_the_call_view(
    sink: SinkHandler, session_factory: sessionmaker[Session]
) -> None:
    from services.schemas import RevisionSource

    messages = call_messages("call-i")
    deliver(sink, messages)
    rules = next(m for m in messages if isinstance(m, CallInsight) and m.utterance_seq == 0)
    model = rules.model_copy(update={
        "message_id": uuid.uuid4().hex, "occurred_at": T0 + timedelta(minutes=1),
        "source": RevisionSource.MODEL, "revision": 1, "model_tokens": 77})
    deliver(sink, [model, rules])
    view = SqlCallStore(session_factory).call_view(call_id="call-i")
    assert view is not None and view.insights[0] == model
