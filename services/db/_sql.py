"""Portable idempotent writes (INSERT ... ON CONFLICT) on SQLite and PostgreSQL; a UTC clock."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import ColumnElement, CursorResult, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlalchemy.sql.elements import KeyedColumnElement

# INSERT rowcount is only kept when asked for (SQLAlchemy >= 2.0.28); UPDATE always has it.
_COUNT_ROWS = {"preserve_rowcount": True}

Excluded = ReadOnlyColumnCollection[str, KeyedColumnElement[Any]]
Condition = Callable[[Table, Excluded], ColumnElement[bool]]


def derived_id(prefix: str, key: str) -> str:
    """A stable id derived from an idempotency key, so a retry names the same row."""
    return f"{prefix}-{hashlib.sha256(key.encode()).hexdigest()[:24]}"


def column_values(record: BaseModel, *, include: set[str] | None = None) -> dict[str, Any]:
    """A record's fields as bind values: Python dates and times, enums as their plain values.

    (Drivers differ on enums: psycopg would bind an Enum member by its name.)
    """
    values = record.model_dump(include=include)
    return {k: v.value if isinstance(v, Enum) else v for k, v in values.items()}


def _insert(session: Session, table: Table) -> postgresql.Insert | sqlite.Insert:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no ON CONFLICT support for dialect {dialect!r}")


def insert_ignore(
    session: Session,
    model: type[DeclarativeBase],
    values: Mapping[str, Any],
    *,
    conflict: Sequence[str] | None = None,
) -> bool:
    """Insert one row unless it collides with an existing one; True if inserted.

    Race-safe: the database resolves the conflict, so two writers never both insert. With
    no `conflict` columns every unique constraint is an arbiter; PostgreSQL would otherwise
    still raise on a non-arbiter unique index (e.g. a primary key derived from the key).
    """
    stmt = _insert(session, _table(model)).values(dict(values))
    stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict) if conflict else None)
    return rowcount(session.execute(stmt, execution_options=_COUNT_ROWS)) == 1


def insert_ignore_many(
    session: Session, model: type[DeclarativeBase], rows: Sequence[Mapping[str, Any]]
) -> int:
    """Batched `insert_ignore` (one executemany); returns how many rows were new."""
    if not rows:
        return 0
    # executemany: both drivers sum the per-row counts, so conflicts count as zero.
    stmt = _insert(session, _table(model)).on_conflict_do_nothing()
    result = session.execute(stmt, [dict(row) for row in rows], execution_options=_COUNT_ROWS)
    return rowcount(result)


def insert_ignore_new(
    session: Session, model: type[DeclarativeBase], rows: Sequence[Mapping[str, Any]],
    *, key: str,
) -> set[Any]:
    """Batched `insert_ignore` that says which rows were new: their `key` column values.

    One multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING per chunk (SQLite >= 3.35
    and PostgreSQL return only the rows inserted), race-safe like `insert_ignore`.
    """
    table = _table(model)
    new: set[Any] = set()
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = [dict(row) for row in rows[start:start + _ROWS_PER_INSERT]]
        stmt = (_insert(session, table).values(chunk).on_conflict_do_nothing()
                .returning(table.c[key]))
        new.update(session.execute(stmt).scalars())
    return new


# Bind variables per statement stay well under SQLite's limit (32,766) for narrow rows.
_ROWS_PER_INSERT = 500


def upsert_where(
    session: Session,
    model: type[DeclarativeBase],
    values: Mapping[str, Any],
    *,
    conflict: Sequence[str],
    update: Sequence[str],
    when: Condition,
) -> bool:
    """Insert a row, or update `update` columns of the existing one if `when` holds.

    `when(existing_table, excluded)` builds the condition from the stored row and the
    proposed one; True if a row was inserted or changed.
    """
    table = _table(model)
    stmt = _insert(session, table).values(dict(values))
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=list(conflict),
        set_={name: excluded[name] for name in update},
        where=when(table, excluded),
    )
    return rowcount(session.execute(stmt, execution_options=_COUNT_ROWS)) == 1


def _table(model: type[DeclarativeBase]) -> Table:
    return cast(Table, model.__table__)


def rowcount(result: Any) -> int:
    """Rows an INSERT or UPDATE touched."""
    return cast(CursorResult[Any], result).rowcount
