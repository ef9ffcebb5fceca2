"""Repositories against real SQLite and PostgreSQL: migrations, seed, ledger, approvals, views."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import pytest
from alembic import command
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from services.db import (
    ApprovalAlreadyDecided,
    ApprovalNotFound,
    IdempotencyConflict,
    SqlApprovalStore,
    SqlAuditLog,
    SqlBillingRepository,
    SqlCallStore,
    SqlCreditLedger,
    current_revision,
    downgrade,
    head_revision,
    seed_world,
    upgrade,
)
from services.db.migrate import alembic_config
from services.db.models import Approval, Credit
from services.schemas import CallStarted
from tests.fixtures.database import small_billing_world

pytestmark = pytest.mark.integration

T = TypeVar("T")


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


def race(n: int, action: Callable[[], T]) -> list[T]:
    """Run `action` on n threads released together; return the results."""
    barrier = threading.Barrier(n)
    results: list[T] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            value = action()
        except BaseException as exc:  # surfaced in the main thread below
            with lock:
                errors.append(exc)
            return
        with lock:
            results.append(value)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@pytest.fixture
def seeded(
    session_factory: sessionmaker[Session], migrated_engine: Engine
) -> sessionmaker[Session]:
    seed_world(migrated_engine, small_billing_world())
    return session_factory


def test_migration_reaches_head_matches_models_and_downgrades(db_url: str) -> None:
    upgrade(db_url)
    assert current_revision(db_url) == head_revision() == "0005"
    command.check(alembic_config(db_url))  # raises if the models drifted from the revisions
    downgrade(db_url)
    assert current_revision(db_url) is None
    upgrade(db_url)
    assert current_revision(db_url) == "0005"


def test_seed_is_idempotent(
    migrated_engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    world = small_billing_world()
    first = seed_world(migrated_engine, world)
    assert first == {
        "plans": 2,
        "customers": 2,
        "invoices": 4,
        "invoice_lines": 7,
        "usage_records": 3,
        "consents": 1,
        "payments": 1,
    }
    with session_factory.begin() as session:
        assert seed_world(session, world) == dict.fromkeys(first, 0)
    assert seed_world(migrated_engine, world) == dict.fromkeys(first, 0)
    # A grown world adds only what is new.
    extra = world.customers[1].model_copy(update={"customer_id": "C-0003"})
    grown = world.model_copy(update={"customers": [*world.customers, extra]})
    assert seed_world(migrated_engine, grown) == {**dict.fromkeys(first, 0), "customers": 1}


def test_billing_repository_reads_back_the_world(seeded: sessionmaker[Session]) -> None:
    repo = SqlBillingRepository(seeded)
    world = small_billing_world()
    assert repo.customer("C-0001") == world.customers[0]
    assert repo.customer("missing") is None
    assert repo.plan("P-5G-UNL") == world.plans[1]
    invoices = repo.invoices("C-0001", limit=2)
    assert [inv.period for inv in invoices] == ["2025-06", "2025-05"]
    assert invoices[0] == next(i for i in world.invoices if i.invoice_id == "INV-C-0001-2025-06")
    assert [u.usage_id for u in repo.usage("C-0001", period="2025-06")] == ["U-1", "U-2"]
    assert repo.usage("C-0001", period="2025-06")[0].quantity == pytest.approx(10240.5)
    assert repo.consents("C-0001") == world.consents
    assert repo.consents("C-0002") == []


def test_ledger_same_key_twice_leaves_one_row(seeded: sessionmaker[Session]) -> None:
    ledger = SqlCreditLedger(seeded, clock=FixedClock(datetime(2025, 6, 20, 3, tzinfo=UTC)))
    args = dict(
        idempotency_key="call-1:duplicate_charge:INV-C-0001-2025-06",
        customer_id="C-0001",
        invoice_id="INV-C-0001-2025-06",
        amount_krw=1650,
        reason="중복 청구",
        call_id="call-1",
    )
    first = ledger.issue_credit(**args)  # type: ignore[arg-type]
    second = ledger.issue_credit(**args)  # type: ignore[arg-type]
    assert first.created and not second.created
    assert first.credit_id == second.credit_id
    with seeded() as session:
        assert session.scalar(select(func.count()).select_from(Credit)) == 1
    with pytest.raises(IdempotencyConflict):
        ledger.issue_credit(**{**args, "amount_krw": 9999})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        ledger.issue_credit(**{**args, "idempotency_key": "other", "amount_krw": 0})  # type: ignore[arg-type]


def test_ledger_concurrent_issues_of_one_key_create_one_credit(
    seeded: sessionmaker[Session],
) -> None:
    ledger = SqlCreditLedger(seeded)
    receipts = race(
        8,
        lambda: ledger.issue_credit(
            idempotency_key="race-key",
            customer_id="C-0001",
            invoice_id=None,
            amount_krw=3300,
            reason="부가서비스 미동의",
            call_id="call-race",
        ),
    )
    assert len(receipts) == 8
    assert sum(r.created for r in receipts) == 1
    assert len({r.credit_id for r in receipts}) == 1
    with seeded() as session:
        assert session.scalar(select(func.count()).select_from(Credit)) == 1


def test_ledger_daily_sum_counts_only_that_day(seeded: sessionmaker[Session]) -> None:
    clock = FixedClock(datetime(2025, 6, 20, 23, 59, tzinfo=UTC))
    # UTC days here; the Asia/Seoul business day is in test_credit_caps.py.
    ledger = SqlCreditLedger(seeded, clock=clock, day_zone=UTC)
    ledger.issue_credit(
        idempotency_key="d1",
        customer_id="C-0001",
        invoice_id=None,
        amount_krw=1000,
        reason="r",
        call_id="c",
    )
    clock.current += timedelta(minutes=2)
    ledger.issue_credit(
        idempotency_key="d2",
        customer_id="C-0001",
        invoice_id=None,
        amount_krw=2000,
        reason="r",
        call_id="c",
    )
    assert ledger.credited_today("C-0001", day=date(2025, 6, 20)) == 1000
    assert ledger.credited_today("C-0001", day=date(2025, 6, 21)) == 2000
    assert ledger.credited_today("C-0002", day=date(2025, 6, 21)) == 0


def test_approval_is_bound_and_single_use(seeded: sessionmaker[Session]) -> None:
    store = SqlApprovalStore(seeded, clock=FixedClock(datetime(2025, 6, 20, tzinfo=UTC)))
    proposal = dict(
        call_id="call-9",
        customer_id="C-0001",
        idempotency_key="call-9:roaming",
        amount_krw=45000,
        reason="로밍 미사용 청구",
    )
    ticket = store.request(**proposal)  # type: ignore[arg-type]
    assert store.request(**proposal) == ticket  # type: ignore[arg-type]
    assert ticket.status == "pending"
    with pytest.raises(IdempotencyConflict):
        store.request(**{**proposal, "amount_krw": 50000})  # type: ignore[arg-type]
    assert store.consume(ticket.approval_id) is False  # not approved yet

    decided = store.decide_approval(
        approval_id=ticket.approval_id, approve=True, decided_by="supervisor-kim"
    )
    assert (decided.status, decided.decided_by) == ("approved", "supervisor-kim")
    # A retried approve is harmless; the opposite decision is refused.
    assert (
        store.decide_approval(
            approval_id=ticket.approval_id, approve=True, decided_by="supervisor-kim"
        ).status
        == "approved"
    )
    with pytest.raises(ApprovalAlreadyDecided):
        store.decide_approval(approval_id=ticket.approval_id, approve=False, decided_by="x")

    assert race(4, lambda: store.consume(ticket.approval_id)).count(True) == 1
    assert store.consume(ticket.approval_id) is False
    assert store.get(ticket.approval_id).status == "consumed"  # type: ignore[union-attr]
    with pytest.raises(ApprovalNotFound):
        store.decide_approval(approval_id="apr-missing", approve=True, decided_by="x")


def test_rejected_approval_cannot_be_consumed(seeded: sessionmaker[Session]) -> None:
    store = SqlApprovalStore(seeded)
    ticket = store.request(
        call_id="c", customer_id="C-0002", idempotency_key="k-rej", amount_krw=70000, reason="r"
    )
    assert (
        store.decide_approval(approval_id=ticket.approval_id, approve=False, decided_by="s").status
        == "rejected"
    )
    assert store.consume(ticket.approval_id) is False
    with seeded() as session:
        assert session.get(Approval, ticket.approval_id).status == "rejected"  # type: ignore[union-attr]


def test_read_models_for_the_api(seeded: sessionmaker[Session]) -> None:
    at = datetime(2025, 6, 20, 1, 0, tzinfo=UTC)
    calls = SqlCallStore(seeded, clock=FixedClock(at))
    approvals = SqlApprovalStore(seeded, clock=FixedClock(at))
    ledger = SqlCreditLedger(seeded, clock=FixedClock(at))
    audit = SqlAuditLog(seeded, clock=FixedClock(at))

    assert calls.record_call_started(
        event=CallStarted(call_id="call-v", customer_id="C-0001", occurred_at=at)
    )
    assert not calls.record_call_started(event=CallStarted(call_id="call-v", customer_id="C-0001"))
    first = approvals.request(
        call_id="call-v",
        customer_id="C-0001",
        idempotency_key="a1",
        amount_krw=40000,
        reason="큰 금액",
    )
    approvals.request(
        call_id="call-v",
        customer_id="C-0002",
        idempotency_key="a2",
        amount_krw=35000,
        reason="큰 금액",
    )
    approvals.decide_approval(approval_id=first.approval_id, approve=True, decided_by="s")
    assert [a.idempotency_key for a in calls.list_pending_approvals()] == ["a2"]
    ledger.issue_credit(
        idempotency_key="a1",
        customer_id="C-0001",
        invoice_id=None,
        amount_krw=40000,
        reason="큰 금액",
        call_id="call-v",
        approval_id=first.approval_id,
    )
    audit.record(
        call_id="call-v",
        actor="graph",
        action="issue_credit",
        detail={"금액": 40000, "tokens": [1, 2]},
        latency_ms=3.5,
        prompt_tokens=12,
    )

    view = calls.customer_view(customer_id="C-0001")
    assert view is not None
    assert view.plan is not None and view.plan.plan_id == "P-5G-LITE"
    assert [c.call_id for c in view.calls] == ["call-v"]
    assert [c.amount_krw for c in view.credits] == [40000]
    assert len(view.invoices) == 3
    assert calls.customer_view(customer_id="nobody") is None
    assert calls.call_view(call_id="nobody") is None
    call = calls.call_view(call_id="call-v")
    assert call is not None and call.call.started_at == at and call.summary is None
    entries = audit.entries(call_id="call-v")
    assert entries[0]["detail"] == {"금액": 40000, "tokens": [1, 2]}
    assert entries[0]["at"] == at
    assert calls.mark_processed(consumer="api", message_id="m-1")
    assert not calls.mark_processed(consumer="api", message_id="m-1")
    assert calls.mark_processed(consumer="other", message_id="m-1")


def test_inbox_marks_a_batch_at_once_and_names_the_new_ids(
    session_factory: sessionmaker[Session],
) -> None:
    calls = SqlCallStore(session_factory)
    assert calls.mark_processed(consumer="agent", message_id="m-1")
    new = calls.mark_processed_many(consumer="agent", message_ids=["m-1", "m-2", "m-3", "m-2"])
    assert new == {"m-2", "m-3"}
    assert calls.mark_processed_many(consumer="agent", message_ids=["m-3", "m-4"]) == {"m-4"}
    assert calls.mark_processed_many(consumer="other", message_ids=["m-1"]) == {"m-1"}
    assert not calls.mark_processed(consumer="agent", message_id="m-2")
    many = [f"n-{i}" for i in range(1200)]  # more rows than one INSERT takes
    assert calls.mark_processed_many(consumer="agent", message_ids=many) == set(many)
