"""The purge behind `kcall retention run`: deletes what the plan says is past its period.

Bounded batches, one transaction per batch, so a purge of a year of calls never holds long
locks and a crash loses at most one batch's progress (the next run redoes it; every step
is idempotent). Per batch of expired calls the graph threads (the call's own and one per
approval it opened, looked up by exact id) go first (the checkpointer is
another connection, maybe another database, so it cannot share the transaction), then the
call's rows; a crash in between leaves rows whose threads are gone, which the next run
deletes. Threads without any call row (a chat whose start never reached the sink, a
checkpointer in another database) are aged by their newest checkpoint.

Held back: a call with an approval still pending or approved-but-not-consumed (its graph
thread waits for it). Kept apart from calls: the credit ledger and the approvals that moved
money (money period), the audit log and the access log (their own periods).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy import (
    ColumnElement,
    Engine,
    Table,
    and_,
    column,
    delete,
    exists,
    func,
    not_,
    select,
    table,
    tuple_,
)
from sqlalchemy.engine import Connection

from agents.threads import approval_thread_id, thread_config
from services.db.models import (
    AccessLogRow,
    Approval,
    AuditEntry,
    Base,
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
from services.db.retention_plan import DataKind, RetentionPlan

__all__ = ["CheckpointThreads", "HELD_CALLS", "purge_database"]

#: Counted, never deleted: calls past their period held back by an unsettled approval.
HELD_CALLS = "held_calls"

_UNSETTLED = ("pending", "approved")
_SETTLED = ("rejected", "consumed")

def _table(model: type[Base]) -> Table:
    found = model.__table__
    assert isinstance(found, Table)
    return found


# Children of a call, deleted before it (explicitly: SQLite needs PRAGMA foreign_keys for
# ON DELETE CASCADE, and counting them is the point of the report).
_CALL_CHILDREN: tuple[tuple[DataKind, Table], ...] = (
    (DataKind.UTTERANCES, _table(UtteranceRow)),
    (DataKind.INSIGHTS, _table(InsightRow)),
    (DataKind.SUMMARIES, _table(SummaryRow)),
    (DataKind.DISPUTES, _table(Dispute)),
    (DataKind.CHURN_FLAGS, _table(ChurnFlag)),
    (DataKind.RETENTION_OFFERS, _table(RetentionOffer)),
    (DataKind.HANDOFFS, _table(HandoffRow)),
)



@dataclass(frozen=True)
class _Purge:
    """Rows kept apart from calls, with their own period: which, keyed how, expired when."""

    kind: DataKind
    model: type[Base]
    keys: tuple[str, ...]
    expired: Callable[[Table, RetentionPlan], ColumnElement[bool]]


# In this order: money before approvals, since an approval goes once no remaining credit
# points at it.
_KEPT_APART: tuple[_Purge, ...] = (
    _Purge(DataKind.CREDITS, Credit, ("credit_id",), lambda t, p: t.c.created_at < p.money),
    _Purge(DataKind.CREDIT_CALL_TOTALS, CreditCallTotal, ("call_id",),
           lambda t, p: t.c.updated_at < p.money),
    _Purge(DataKind.CREDIT_DAY_TOTALS, CreditDayTotal, ("customer_id", "day"),
           lambda t, p: t.c.updated_at < p.money),
    _Purge(DataKind.APPROVALS, Approval, ("approval_id",),
           lambda _, p: _settled_approval_expired(p)),
    _Purge(DataKind.INBOX, ProcessedMessage, ("consumer", "message_id"),
           lambda t, p: t.c.processed_at < p.calls),
    _Purge(DataKind.AUDIT_LOG, AuditEntry, ("id",), lambda t, p: t.c.at < p.audit),
    _Purge(DataKind.ACCESS_LOG, AccessLogRow, ("id",), lambda t, p: t.c.at < p.access_log),
)  # fmt: skip

_checkpoints = table("checkpoints", column("thread_id"))


class CheckpointThreads:
    """The LangGraph threads of the checkpointer: found by SQL, aged and deleted by the saver.

    Both LangGraph savers (SQLite and PostgreSQL) keep a `checkpoints` table with a
    `thread_id` column; `engine` must reach the database the saver writes to.
    """

    def __init__(self, saver: BaseCheckpointSaver[Any], engine: Engine) -> None:
        self._saver, self._engine = saver, engine

    def existing(self, thread_ids: Sequence[str]) -> list[str]:
        """Those of `thread_ids` that have checkpoints (exact keys: the index serves them)."""
        thread = _checkpoints.c.thread_id
        with self._engine.connect() as connection:
            return sorted(connection.scalars(
                select(thread).where(thread.in_(list(thread_ids))).distinct()))  # fmt: skip

    def page(self, after: str, limit: int) -> list[str]:
        """Thread ids after `after`, in order (keyset paging)."""
        thread = _checkpoints.c.thread_id
        stmt = select(thread).where(thread > after).distinct().order_by(thread).limit(limit)
        with self._engine.connect() as connection:
            return list(connection.scalars(stmt))

    def newest_at(self, thread_id: str) -> datetime | None:
        """When the thread's newest checkpoint was written (its `ts`)."""
        found = self._saver.get_tuple(thread_config(thread_id))
        if found is None:
            return None
        stamp = datetime.fromisoformat(str(found.checkpoint["ts"]))
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)

    def delete(self, thread_id: str) -> None:
        """Delete every checkpoint, blob and write of the thread."""
        self._saver.delete_thread(thread_id)


def purge_database(
    engine: Engine,
    plan: RetentionPlan,
    *,
    threads: CheckpointThreads | None = None,
    dry_run: bool = False,
) -> Counter[str]:
    """Delete (or, dry, count) everything past its period; return the count per kind."""
    counts: Counter[str] = Counter()
    _purge_calls(engine, plan, threads, dry_run, counts)
    if threads is not None:
        _purge_orphan_threads(engine, plan, threads, dry_run, counts)
    for purge in _KEPT_APART:
        rows = _table(purge.model)
        keys = [rows.c[name] for name in purge.keys]
        counts[purge.kind] += _purge_rows(
            engine, rows, keys, purge.expired(rows, plan), plan, dry_run
        )
    return counts


def _call_last_seen() -> ColumnElement[datetime]:
    """A call's age reference: its end, else its start, else its newest row (a stub)."""
    newest = [
        select(func.max(model.occurred_at)).where(model.call_id == Call.call_id).scalar_subquery()
        for model in (UtteranceRow, InsightRow, SummaryRow)
    ]
    return func.coalesce(Call.ended_at, Call.started_at, *newest)


def _held() -> ColumnElement[bool]:
    return exists().where(Approval.call_id == Call.call_id, Approval.status.in_(_UNSETTLED))


def _purge_calls(
    engine: Engine,
    plan: RetentionPlan,
    threads: CheckpointThreads | None,
    dry_run: bool,
    counts: Counter[str],
) -> None:
    expired = _call_last_seen() < plan.calls
    last = ""
    while True:
        stmt = (
            select(Call.call_id)
            .where(expired, not_(_held()), Call.call_id > last)
            .order_by(Call.call_id)
            .limit(plan.batch_size)
        )
        with engine.connect() as connection:
            call_ids = list(connection.scalars(stmt))
        if not call_ids:
            break
        last = call_ids[-1]
        if threads is not None:
            found = threads.existing(_thread_ids(engine, call_ids))
            counts[DataKind.CHECKPOINT_THREADS] += len(found)
            if not dry_run:
                for thread_id in found:
                    threads.delete(thread_id)
        with engine.begin() as connection:
            for kind, child in _CALL_CHILDREN:
                counts[kind] += _apply(connection, child, child.c.call_id.in_(call_ids), dry_run)
            calls = _table(Call)
            counts[DataKind.CALLS] += _apply(
                connection, calls, calls.c.call_id.in_(call_ids), dry_run
            )
    with engine.connect() as connection:
        counts[HELD_CALLS] += connection.scalar(
            select(func.count()).select_from(Call).where(expired, _held())
        ) or 0


def _thread_ids(engine: Engine, call_ids: Sequence[str]) -> list[str]:
    """The graph threads a call can have: its own and one per approval it opened.

    Any other `<call_id>/...` thread (an approval row purged a run before its call) has no
    call row left once its call goes, and the orphan sweep ages it by its checkpoints.
    """
    stmt = select(Approval.call_id, Approval.approval_id).where(Approval.call_id.in_(call_ids))
    with engine.connect() as connection:
        approvals = connection.execute(stmt).all()
    return [*call_ids, *(approval_thread_id(call_id, approval) for call_id, approval in approvals)]


def _purge_orphan_threads(
    engine: Engine,
    plan: RetentionPlan,
    threads: CheckpointThreads,
    dry_run: bool,
    counts: Counter[str],
) -> None:
    last = ""
    while page := threads.page(last, plan.batch_size):
        last = page[-1]
        roots = sorted({thread_id.split("/", 1)[0] for thread_id in page})
        expiring = and_(_call_last_seen() < plan.calls, not_(_held()))
        with engine.connect() as connection:
            calls = connection.execute(
                select(Call.call_id, expiring).where(Call.call_id.in_(roots))).all()  # fmt: skip
        staying = {call_id for call_id, going in calls if not going}
        # A dry run still has the expiring calls: their threads were counted with them.
        counted = set(_thread_ids(engine, [call_id for call_id, going in calls if going]))
        for thread_id in page:
            if thread_id.split("/", 1)[0] in staying or thread_id in counted:
                continue  # aged with its call
            newest = threads.newest_at(thread_id)
            if newest is not None and newest >= plan.calls:
                continue
            counts[DataKind.CHECKPOINT_THREADS] += 1
            if not dry_run:
                threads.delete(thread_id)


def _settled_approval_expired(plan: RetentionPlan) -> ColumnElement[bool]:
    """Settled before the call period, and no credit within the money period points at it.

    Credits past the money period count as gone (the real run deletes them first), so a
    dry run counts the same approvals.
    """
    settled_at = func.coalesce(Approval.consumed_at, Approval.decided_at, Approval.requested_at)
    kept_credit = exists().where(
        Credit.approval_id == Approval.approval_id, Credit.created_at >= plan.money
    )
    return and_(Approval.status.in_(_SETTLED), settled_at < plan.calls, not_(kept_credit))


def _purge_rows(
    engine: Engine,
    target: Table,
    keys: Sequence[Any],
    condition: ColumnElement[bool],
    plan: RetentionPlan,
    dry_run: bool,
) -> int:
    """Delete the rows matching `condition`, `batch_size` keys per transaction."""
    if dry_run:
        with engine.connect() as connection:
            return _count(connection, target, condition)
    total = 0
    while True:
        with engine.begin() as connection:
            found = connection.execute(select(*keys).where(condition).limit(plan.batch_size))
            rows = [tuple(row) for row in found]
            if not rows:
                return total
            connection.execute(delete(target).where(_key_in(keys, rows)))
            total += len(rows)
        if len(rows) < plan.batch_size:
            return total


def _key_in(keys: Sequence[Any], rows: Iterable[tuple[Any, ...]]) -> ColumnElement[bool]:
    if len(keys) == 1:
        return keys[0].in_([row[0] for row in rows])  # type: ignore[no-any-return]
    return tuple_(*keys).in_(list(rows))


def _apply(connection: Connection, target: Table, where: ColumnElement[bool], dry: bool) -> int:
    if dry:
        return _count(connection, target, where)
    return connection.execute(delete(target).where(where)).rowcount


def _count(connection: Connection, target: Table, where: ColumnElement[bool]) -> int:
    return connection.scalar(select(func.count()).select_from(target).where(where)) or 0
