"""API keys and the personal-data access log, on SQLAlchemy sessions.

Keys arrive here already hashed (services.api.keys hashes with argon2id); this module
never sees a key in the clear. Revoking is a timestamp, so a revoked key's row stays for
the access log's "who".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from agents.ports import Clock, SystemClock
from services.db.models import AccessLogRow, ApiKeyRow

__all__ = ["AccessEntry", "SqlAccessLog", "SqlApiKeyStore", "StoredKey"]


@dataclass(frozen=True, slots=True)
class StoredKey:
    """A key as stored: its hash, role, binding and whether it was revoked."""

    key_id: str
    secret_hash: str
    role: str
    subject: str
    label: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        """Whether the key was revoked."""
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One recorded read of personal data."""

    at: datetime
    key_id: str
    role: str
    subject: str
    action: str
    resource: str
    resource_id: str
    customer_id: str | None


def _stored(row: ApiKeyRow) -> StoredKey:
    return StoredKey(
        key_id=row.key_id,
        secret_hash=row.secret_hash,
        role=row.role,
        subject=row.subject,
        label=row.label,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class SqlApiKeyStore:
    """Create, find, list and revoke API keys (hashes only)."""

    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock | None = None) -> None:
        self._sessions = sessions
        self._clock = clock or SystemClock()

    def create(
        self, *, key_id: str, secret_hash: str, role: str, subject: str, label: str = ""
    ) -> StoredKey:
        """Store a new key."""
        row = ApiKeyRow(
            key_id=key_id,
            secret_hash=secret_hash,
            role=role,
            subject=subject,
            label=label,
            created_at=self._clock.now(),
            revoked_at=None,
        )
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            return _stored(row)

    def find(self, key_id: str) -> StoredKey | None:
        """The key with this id, revoked or not."""
        with self._sessions() as session:
            row = session.get(ApiKeyRow, key_id)
            return None if row is None else _stored(row)

    def keys(self, *, include_revoked: bool = False) -> list[StoredKey]:
        """Keys, oldest first."""
        query = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.key_id)
        if not include_revoked:
            query = query.where(ApiKeyRow.revoked_at.is_(None))
        with self._sessions() as session:
            return [_stored(row) for row in session.scalars(query)]

    def revoke(self, key_id: str) -> bool:
        """Revoke the key; False if there is no such live key."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.key_id == key_id, ApiKeyRow.revoked_at.is_(None))
                .values(revoked_at=self._clock.now())
            )
            return bool(getattr(result, "rowcount", 0))


class SqlAccessLog:
    """Append-only access log: who read whose personal data, and when."""

    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock | None = None) -> None:
        self._sessions = sessions
        self._clock = clock or SystemClock()

    def record(
        self,
        *,
        key_id: str,
        role: str,
        subject: str,
        action: str,
        resource: str,
        resource_id: str,
        customer_id: str | None,
    ) -> None:
        """Append one entry."""
        with self._sessions.begin() as session:
            session.execute(
                insert(AccessLogRow).values(
                    at=self._clock.now(),
                    key_id=key_id,
                    role=role,
                    subject=subject,
                    action=action,
                    resource=resource,
                    resource_id=resource_id,
                    customer_id=customer_id,
                )
            )

    def entries(self, *, customer_id: str | None = None, limit: int = 500) -> list[AccessEntry]:
        """Newest first; only reads of `customer_id`'s data when given."""
        query = select(AccessLogRow).order_by(AccessLogRow.id.desc()).limit(limit)
        if customer_id is not None:
            query = query.where(AccessLogRow.customer_id == customer_id)
        with self._sessions() as session:
            return [
                AccessEntry(
                    at=row.at,
                    key_id=row.key_id,
                    role=row.role,
                    subject=row.subject,
                    action=row.action,
                    resource=row.resource,
                    resource_id=row.resource_id,
                    customer_id=row.customer_id,
                )
                for row in session.scalars(query)
            ]
