"""Which handler errors mean "infrastructure is down, wait" rather than "this message is bad".

A stage must never dead-letter a message because its database was unreachable for a
while: such errors are retried until they stop (or the worker is asked to stop), while
any other error is retried a bounded number of times and then dead-lettered.
"""

from __future__ import annotations

import sqlite3

import psycopg
from sqlalchemy import exc as sa_exc

__all__ = ["is_transient"]

_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    sqlite3.OperationalError,  # the SQLite checkpointer: locked, read-only, cannot open
    psycopg.OperationalError,  # the PostgreSQL checkpointer: connection refused or lost
    psycopg.InterfaceError,
    sa_exc.OperationalError,  # the SQLAlchemy adapters wrap the same driver errors
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,  # connection pool exhausted while the database hangs
)


def is_transient(error: BaseException) -> bool:
    """True for database connectivity errors: unreachable, locked, read-only for a while.

    Follows explicit causes (`raise ... from`), so a driver error wrapped by a library
    still counts. A `DBAPIError` whose connection was invalidated counts too. Integrity
    and programming errors do not: they say something about the message, so they take
    the bounded path to the DLQ.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _TRANSIENT_TYPES):
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__
    return False
