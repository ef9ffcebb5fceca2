"""Credit caps under replays and concurrent workers, on real SQLite and PostgreSQL.

"Two workers" are two threads, each with its own engine (own connections), and also two
spawned processes: each issues credits for the same customer, in one shared call and in
calls of its own, released together by a barrier. The counts asserted are exact: they do
not depend on how the workers interleave (see `_worker`).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from agents.limits import AgentLimits
from agents.ports import CreditCapExceeded, CreditReceipt
from agents.tools import CreditLimits, ToolChannel, ToolPolicyViolation, Tools
from services.db import (
    SqlApprovalStore,
    SqlAuditLog,
    SqlBillingRepository,
    SqlCreditLedger,
    current_revision,
    downgrade,
    make_engine,
    seed_world,
    session_factory,
    upgrade,
)
from services.db.models import Base, Credit
from services.db.models.money import CreditCallTotal, CreditDayTotal
from services.db.repositories.ledger import BUSINESS_DAY_ZONE
from tests.fixtures.database import small_billing_world

pytestmark = pytest.mark.integration

CUSTOMER = "C-0001"
# 2025-06-20 12:00 KST: every credit of the concurrency tests falls on one business day.
NOON_KST = datetime(2025, 6, 20, 3, 0, tzinfo=UTC)
PER_CALL_CAP = 60_000
PER_DAY_CAP = 200_000
SHARED_CALL = "call-shared"
SHARED_AMOUNT = 7_000  # 8 fit under the per-call cap (56,000), a 9th would not (63,000)
OWN_AMOUNT = 10_000  # after 56,000: 14 more fit under the daily cap (196,000)
SHARED_KEYS = 10
OWN_KEYS = 20


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


class Waits(Protocol):
    def wait(self, timeout: float | None = None) -> int: ...


@pytest.fixture
def seeded(
    session_factory: sessionmaker[Session], migrated_engine: Engine
) -> sessionmaker[Session]:
    seed_world(migrated_engine, small_billing_world())
    return session_factory


def _ledger(sessions: sessionmaker[Session], at: datetime = NOON_KST) -> SqlCreditLedger:
    return SqlCreditLedger(sessions, clock=FixedClock(at))


def _issue(
    ledger: SqlCreditLedger,
    key: str,
    amount: int,
    *,
    call_id: str = "call-1",
    customer_id: str = CUSTOMER,
    per_call: int | None = PER_CALL_CAP,
    per_day: int | None = PER_DAY_CAP,
    approval_id: str | None = None,
) -> CreditReceipt:
    return ledger.issue_credit(
        idempotency_key=key, customer_id=customer_id, invoice_id=None, amount_krw=amount,
        reason="test", call_id=call_id, approval_id=approval_id, per_call_cap_krw=per_call,
        per_day_cap_krw=per_day,
    )


def _credits(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """(rows, won) in the whole ledger."""
    with sessions() as session:
        rows, won = session.execute(
            select(func.count(), func.coalesce(func.sum(Credit.amount_krw), 0))
        ).one()
    return int(rows), int(won)


def _totals(sessions: sessionmaker[Session]) -> tuple[dict[str, tuple[int, int]],
                                                       dict[tuple[str, date], tuple[int, int]]]:
    """Every (total_krw, credits) row of both totals tables."""
    with sessions() as session:
        calls = {r.call_id: (r.total_krw, r.credits)
                 for r in session.scalars(select(CreditCallTotal))}
        days = {(r.customer_id, r.day): (r.total_krw, r.credits)
                for r in session.scalars(select(CreditDayTotal))}
    return calls, days


def _totals_match_the_ledger(
    sessions: sessionmaker[Session], zone: Any = BUSINESS_DAY_ZONE
) -> None:
    """The running totals are exactly the sums of the credits they count."""
    calls: Counter[str] = Counter()
    call_counts: Counter[str] = Counter()
    days: Counter[tuple[str, date]] = Counter()
    day_counts: Counter[tuple[str, date]] = Counter()
    with sessions() as session:
        for credit in session.scalars(select(Credit)):
            calls[credit.call_id] += credit.amount_krw
            call_counts[credit.call_id] += 1
            day = (credit.customer_id, credit.created_at.astimezone(zone).date())
            days[day] += credit.amount_krw
            day_counts[day] += 1
    stored_calls, stored_days = _totals(sessions)
    assert {k: v for k, v in stored_calls.items() if v != (0, 0)} == {
        k: (calls[k], call_counts[k]) for k in calls}
    assert {k: v for k, v in stored_days.items() if v != (0, 0)} == {
        k: (days[k], day_counts[k]) for k in days}


# --- replays ---------------------------------------------------------------------------


def test_a_replayed_credit_counts_once_toward_the_call_cap(seeded: sessionmaker[Session]) -> None:
    ledger = _ledger(seeded)
    first = _issue(ledger, "k1", 50_000)
    replay = _issue(ledger, "k1", 50_000)  # a crash after the insert, then the redelivery
    assert first.created and not replay.created and replay.credit_id == first.credit_id
    assert ledger.credited_in_call("call-1") == 50_000
    elsewhere = _issue(ledger, "k1", 50_000, call_id="call-2")  # the same line, a later call
    assert not elsewhere.created and ledger.credited_in_call("call-2") == 0
    with pytest.raises(CreditCapExceeded) as refused:
        _issue(ledger, "k2", 20_000)
    assert (refused.value.scope, refused.value.total_krw, refused.value.cap_krw) == (
        "per-call", 50_000, PER_CALL_CAP)
    assert _issue(ledger, "k3", 10_000).created  # exactly up to the cap
    assert ledger.credited_in_call("call-1") == PER_CALL_CAP
    assert _credits(seeded) == (2, 60_000)
    _totals_match_the_ledger(seeded)


def test_a_worker_resuming_after_a_crash_sees_the_call_credit_it_lost(
    seeded: sessionmaker[Session],
) -> None:
    """The issue's case: the credit was written, the checkpoint was not (credited_krw = 0)."""
    ledger = _ledger(seeded)

    def tools() -> Tools:  # a fresh run of the call: nothing in its state
        return Tools(billing=SqlBillingRepository(seeded), ledger=ledger,
                     approvals=SqlApprovalStore(seeded), audit=SqlAuditLog(seeded),
                     call_id="call-crash", channel=ToolChannel.VOICE,
                     limits=CreditLimits.for_channel(AgentLimits(), ToolChannel.VOICE),
                     today=NOON_KST.date(), credited_krw=0)

    def credit(run: Tools, key: str, amount: int) -> CreditReceipt:
        return run.issue_credit(idempotency_key=key, customer_id=CUSTOMER, invoice_id=None,
                                amount_krw=amount, reason="test")

    before_crash = tools()
    assert credit(before_crash, "line-1", 30_000).created
    assert credit(before_crash, "line-2", 25_000).created
    after_crash = tools()
    assert not credit(after_crash, "line-1", 30_000).created  # the replay: no new money
    assert after_crash.credited_krw == 0  # what the run knows; the ledger knows 55,000
    with pytest.raises(ToolPolicyViolation, match="over the per-call cap"):
        credit(after_crash, "line-3", 10_000)
    assert _credits(seeded) == (2, 55_000)
    assert ledger.credited_in_call("call-crash") == 55_000


def test_a_replay_is_answered_even_when_the_caps_are_full(seeded: sessionmaker[Session]) -> None:
    ledger = _ledger(seeded)
    for n in range(20):
        _issue(ledger, f"d{n}", 10_000, call_id=f"call-{n}")
    assert ledger.credited_today(CUSTOMER, day=date(2025, 6, 20)) == PER_DAY_CAP
    with pytest.raises(CreditCapExceeded, match="daily"):
        _issue(ledger, "d-new", 10_000, call_id="call-new")
    again = _issue(ledger, "d3", 10_000, call_id="call-3")
    assert not again.created  # the existing credit, not a refusal
    assert _credits(seeded) == (20, PER_DAY_CAP)
    _totals_match_the_ledger(seeded)


def test_a_refused_credit_writes_nothing(seeded: sessionmaker[Session]) -> None:
    ledger = _ledger(seeded)
    _issue(ledger, "a", 5_000, call_id="call-a", per_day=8_000)
    # The call total would pass (0 + 5,000); the day would not: the call's +5,000 rolls back.
    with pytest.raises(CreditCapExceeded, match="daily"):
        _issue(ledger, "b", 5_000, call_id="call-b", per_day=8_000)
    calls, days = _totals(seeded)
    assert calls.get("call-b", (0, 0)) == (0, 0)
    assert days == {(CUSTOMER, date(2025, 6, 20)): (5_000, 1)}
    assert _credits(seeded) == (1, 5_000)
    assert _issue(ledger, "b", 3_000, call_id="call-b", per_day=8_000).created  # key still free


def test_an_approved_credit_is_not_capped_but_counts(seeded: sessionmaker[Session]) -> None:
    ledger = _ledger(seeded)
    approved = _issue(ledger, "big", 55_000, per_call=None, per_day=None)
    assert approved.created
    with pytest.raises(CreditCapExceeded, match="per-call"):
        _issue(ledger, "small", 10_000)
    assert ledger.credited_in_call("call-1") == 55_000
    assert ledger.credited_today(CUSTOMER, day=date(2025, 6, 20)) == 55_000


def test_the_daily_cap_is_per_asia_seoul_business_day(seeded: sessionmaker[Session]) -> None:
    clock = FixedClock(datetime(2025, 6, 20, 14, 59, tzinfo=UTC))  # 23:59 KST on the 20th
    ledger = SqlCreditLedger(seeded, clock=clock)
    assert _issue(ledger, "late", 3_000, call_id="c1", per_day=3_000).created
    clock.current += timedelta(seconds=59)  # 23:59:59 KST: the same day, cap reached
    with pytest.raises(CreditCapExceeded, match="daily"):
        _issue(ledger, "later", 1_000, call_id="c2", per_day=3_000)
    clock.current += timedelta(seconds=1)  # 00:00 KST on the 21st (still the 20th in UTC)
    assert _issue(ledger, "next-day", 1_000, call_id="c3", per_day=3_000).created
    assert ledger.credited_today(CUSTOMER, day=date(2025, 6, 20)) == 3_000
    assert ledger.credited_today(CUSTOMER, day=date(2025, 6, 21)) == 1_000
    assert ledger.business_day(clock.current) == date(2025, 6, 21)
    _totals_match_the_ledger(seeded)


# --- two workers at once ---------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What one worker does: `SHARED_KEYS` keys in the shared call (the same keys for both
    workers, in opposite orders), then, after both finished that, `OWN_KEYS` credits in
    calls of its own, each issued twice in a row (a redelivery)."""

    name: str
    reverse: bool


def _worker(db_url: str, plan: Plan, barrier: Waits) -> dict[str, int]:
    """Issue the plan's credits on an engine of this worker's own; count the outcomes.

    Why the counts are exact whatever the interleaving: a total only grows, so once a key
    is refused its cap stays full. Phase 1, the same 10 keys of 7,000 won in one call: the
    first 8 keys to arrive fit (56,000 of 60,000), each by one worker, while the other
    worker's attempt finds it (already); the last 2 are refused for both. Phase 2 starts at
    56,000 for the day: 14 credits of 10,000 fit (196,000 of 200,000); each is redelivered
    once (already); the other 26 keys are refused twice.
    """
    engine = make_engine(db_url)
    ledger = SqlCreditLedger(session_factory(engine), clock=FixedClock(NOON_KST))
    outcomes: Counter[str] = Counter()

    def attempt(key: str, amount: int, call_id: str) -> None:
        try:
            receipt = _issue(ledger, key, amount, call_id=call_id)
        except CreditCapExceeded as exc:
            outcomes[f"refused_{exc.scope}"] += 1
            return
        outcomes["created" if receipt.created else "already"] += 1
        outcomes["won_created"] += amount if receipt.created else 0

    try:
        shared = [f"shared-{n}" for n in range(SHARED_KEYS)]
        barrier.wait(timeout=300)
        for key in reversed(shared) if plan.reverse else shared:
            attempt(key, SHARED_AMOUNT, SHARED_CALL)
        barrier.wait(timeout=300)
        for n in range(OWN_KEYS):
            key, call_id = f"own-{plan.name}-{n}", f"call-{plan.name}-{n}"
            attempt(key, OWN_AMOUNT, call_id)
            attempt(key, OWN_AMOUNT, call_id)
    finally:
        engine.dispose()
    return dict(outcomes)


def _process_worker(db_url: str, plan: Plan, barrier: Waits, results: Any) -> None:
    try:
        results.put((plan.name, _worker(db_url, plan, barrier)))
    except BaseException as exc:
        results.put((plan.name, {"error": repr(exc)}))
        raise


def _run_in_threads(db_url: str) -> list[dict[str, int]]:
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def run(plan: Plan) -> None:
        try:
            results.append(_worker(db_url, plan, barrier))
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(p,)) for p in _PLANS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors, errors
    return results


def _run_in_processes(db_url: str) -> list[dict[str, int]]:
    context = multiprocessing.get_context("spawn")  # fresh interpreters, no forked pools
    barrier = context.Barrier(2)
    results = context.Queue()
    processes = [context.Process(target=_process_worker, args=(db_url, plan, barrier, results))
                 for plan in _PLANS]
    for process in processes:
        process.start()
    try:
        outcomes = dict(results.get(timeout=600) for _ in processes)
    finally:
        for process in processes:
            process.join(timeout=60)
    assert [p.exitcode for p in processes] == [0, 0], outcomes
    return list(outcomes.values())


_PLANS = (Plan("a", reverse=False), Plan("b", reverse=True))
Runner = Callable[[str], list[dict[str, int]]]


@pytest.fixture(params=["threads", "processes"])
def two_workers(request: pytest.FixtureRequest) -> Iterator[Runner]:
    yield _run_in_threads if request.param == "threads" else _run_in_processes


def test_two_workers_never_pass_the_caps_together(
    two_workers: Runner, db_url: str, seeded: sessionmaker[Session]
) -> None:
    per_worker = two_workers(db_url)
    assert len(per_worker) == 2
    both = sum((Counter(w) for w in per_worker), Counter())
    shared_created, own_created = 8, 14
    assert dict(both) == {
        "created": shared_created + own_created,  # 22 credits in all
        "already": shared_created + own_created,  # every one found once more, never doubled
        "refused_per-call": 2 * (SHARED_KEYS - shared_created),  # 4
        "refused_daily": 2 * (2 * OWN_KEYS - own_created),  # 52
        "won_created": 196_000,
    }
    assert _credits(seeded) == (22, 196_000)
    calls, days = _totals(seeded)
    assert calls[SHARED_CALL] == (56_000, 8)
    assert days == {(CUSTOMER, date(2025, 6, 20)): (196_000, 22)}
    _totals_match_the_ledger(seeded)
    ledger = _ledger(seeded)
    assert ledger.credited_in_call(SHARED_CALL) <= PER_CALL_CAP
    assert ledger.credited_today(CUSTOMER, day=date(2025, 6, 20)) <= PER_DAY_CAP


# --- the migration ---------------------------------------------------------------------


def test_migration_0003_backfills_the_totals_from_existing_credits(db_url: str) -> None:
    upgrade(db_url, "0002")
    engine = make_engine(db_url)
    try:
        seed_world(engine, small_billing_world())
        rows = [
            # call-x: two credits either side of midnight in Seoul (15:00 UTC)
            ("k1", "C-0001", "call-x", 1_000, datetime(2025, 6, 20, 14, 30, tzinfo=UTC)),
            ("k2", "C-0001", "call-x", 2_000, datetime(2025, 6, 20, 15, 30, tzinfo=UTC)),
            ("k3", "C-0001", "call-y", 4_000, datetime(2025, 6, 21, 1, 0, tzinfo=UTC)),
            ("k4", "C-0002", "call-z", 8_000, datetime(2025, 6, 20, 0, 0, tzinfo=UTC)),
        ]
        with engine.begin() as connection:
            connection.execute(insert(Credit), [
                {"credit_id": f"cr-{key}", "idempotency_key": key, "customer_id": customer,
                 "invoice_id": None, "amount_krw": amount, "reason": "old", "call_id": call,
                 "approval_id": None, "created_at": at}
                for key, customer, call, amount, at in rows])
        upgrade(db_url, "0003")
        sessions = session_factory(engine)
        calls, days = _totals(sessions)
        assert calls == {"call-x": (3_000, 2), "call-y": (4_000, 1), "call-z": (8_000, 1)}
        assert days == {
            ("C-0001", date(2025, 6, 20)): (1_000, 1),  # 23:30 KST
            ("C-0001", date(2025, 6, 21)): (6_000, 2),  # 00:30 and 10:00 KST
            ("C-0002", date(2025, 6, 20)): (8_000, 1),
        }
        _totals_match_the_ledger(sessions)
        with sessions() as session:  # updated_at: the newest credit counted, read back aware
            stamp = session.get(CreditCallTotal, "call-x").updated_at  # type: ignore[union-attr]
        assert stamp == datetime(2025, 6, 20, 15, 30, tzinfo=UTC)
        # The ledger goes on from the backfilled totals.
        ledger = SqlCreditLedger(sessions, clock=FixedClock(datetime(2025, 6, 21, 2, tzinfo=UTC)))
        with pytest.raises(CreditCapExceeded, match="daily"):
            _issue(ledger, "k5", 5_000, call_id="call-new", per_day=10_000)
        assert _issue(ledger, "k5", 4_000, call_id="call-new", per_day=10_000).created
        downgrade(db_url, "0002")
        assert current_revision(db_url) == "0002"
        upgrade(db_url, "0003")
        calls, days = _totals(sessions)
        assert days[("C-0001", date(2025, 6, 21))] == (10_000, 3)
    finally:
        engine.dispose()


def test_the_totals_tables_match_their_models(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)

    def mine(diff: Any) -> bool:
        return any(t in repr(diff) for t in ("credit_call_totals", "credit_day_totals"))

    assert [d for d in diffs if mine(d)] == []
