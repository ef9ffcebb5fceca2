"""LangGraph checkpointers: SQLite when embedded, PostgreSQL in production."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.engine import URL, make_url


@contextmanager
def open_checkpointer(url: str) -> Iterator[BaseCheckpointSaver[Any]]:
    """Open a checkpointer for a SQLAlchemy-style URL, create its tables, close it after.

    `sqlite:///path` opens SqliteSaver (one connection shared across threads; the saver
    serialises access with its own lock). `postgresql[+driver]://...` opens PostgresSaver
    on a psycopg connection in autocommit mode, as LangGraph requires.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        with _sqlite_saver(parsed) as saver:
            yield saver
    elif backend == "postgresql":
        from langgraph.checkpoint.postgres import PostgresSaver

        with PostgresSaver.from_conn_string(libpq_conninfo(parsed)) as saver:
            saver.setup()
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
def _sqlite_saver(url: URL) -> Iterator[BaseCheckpointSaver[Any]]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    database = url.database or ":memory:"
    if database != ":memory:":
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(database, check_same_thread=False)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA busy_timeout=10000")
        saver = SqliteSaver(connection)
        saver.setup()
        yield saver
    finally:
        connection.close()
