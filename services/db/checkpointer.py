"""LangGraph checkpointers: SQLite when embedded, PostgreSQL in production."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.engine import URL, make_url

__all__ = ["libpq_conninfo", "open_checkpointer", "one_transaction"]


@contextmanager
def open_checkpointer(url: str) -> Iterator[BaseCheckpointSaver[Any]]:
    """Open a checkpointer for a SQLAlchemy-style URL, create its tables, close it after.

    `sqlite:///path` opens SqliteSaver (one connection shared across threads; the saver
    serialises access with its own lock). `postgresql[+driver]://...` opens PostgresSaver
    on a small psycopg pool of autocommit connections (as LangGraph requires), each checked
    when taken, so a worker outlives a database restart instead of keeping a dead
    connection.
    `one_transaction(saver)` groups many writes into one commit (SQLite).
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        with _sqlite_saver(parsed) as saver:
            yield saver
    elif backend == "postgresql":
        with _postgres_saver(parsed) as saver:
            yield saver
    else:
        raise ValueError(f"no LangGraph checkpointer for database backend {backend!r}")


def libpq_conninfo(url: URL | str) -> str:
    """Turn `postgresql+psycopg://user:pw@host:port/db?opt=v` into a libpq conninfo string."""
    from psycopg.conninfo import make_conninfo

    parsed = make_url(url) if isinstance(url, str) else url
    params: dict[str, Any] = {
        "host": parsed.host,
        "port": parsed.port,
        "dbname": parsed.database,
        "user": parsed.username,
        "password": parsed.password,
    }
    for key, value in parsed.query.items():
        params[key] = value if isinstance(value, str) else value[-1]
    return make_conninfo(**{k: v for k, v in params.items() if v is not None})


@contextmanager
def _postgres_saver(url: URL) -> Iterator[BaseCheckpointSaver[Any]]:
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.errors import UniqueViolation
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    pool: ConnectionPool[Any] = ConnectionPool(
        libpq_conninfo(url), min_size=1, max_size=4, open=True,
        check=ConnectionPool.check_connection,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
    )
    try:
        saver = PostgresSaver(pool)
        for attempt in range(3):
            try:
                saver.setup()
                break
            except UniqueViolation:  # two workers creating the tables at once: the other won
                if attempt == 2:
                    raise
        yield saver
    finally:
        pool.close()


@contextmanager
def _sqlite_saver(url: URL) -> Iterator[BaseCheckpointSaver[Any]]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    database = url.database or ":memory:"
    if database != ":memory:":
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(database, check_same_thread=False, factory=_BatchingConnection)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA busy_timeout=10000")
        saver = SqliteSaver(connection)
        saver.setup()
        yield saver
    finally:
        connection.close()


def one_transaction(saver: BaseCheckpointSaver[Any]) -> AbstractContextManager[None]:
    """Make the saver's writes inside the block one transaction, where the backend allows.

    SQLite (opened here): one commit, so one fsync, for the whole block; an error rolls all
    of it back. Other savers: each write commits as usual (PostgreSQL pipelines them).
    """
    connection = getattr(saver, "conn", None)
    if isinstance(connection, _BatchingConnection):
        return connection.one_transaction()
    return nullcontext()


class _BatchingConnection(sqlite3.Connection):
    """A SQLite connection whose `commit` waits for the end of `one_transaction` blocks."""

    _depth = 0

    def commit(self) -> None:
        if not self._depth:
            super().commit()

    @contextmanager
    def one_transaction(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if not self._depth:
                self.rollback()
            raise
        self._depth -= 1
        if not self._depth:
            super().commit()
