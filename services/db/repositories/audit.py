"""SqlAuditLog: append-only record of every node, tool and model call (agents.ports)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from agents.ports import Clock, SystemClock
from services.db.models import AuditEntry


class SqlAuditLog:
    """Implements agents.ports.AuditLog; `detail` must already be redacted."""

    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock | None = None) -> None:
        self._sessions = sessions
        self._clock = clock or SystemClock()

    def record(
        self,
        *,
        call_id: str,
        actor: str,
        action: str,
        detail: dict[str, Any],
        latency_ms: float = 0.0,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
    ) -> None:
        """Append one audit entry."""
        stmt = insert(AuditEntry).values(
            call_id=call_id,
            actor=actor,
            action=action,
            detail=detail,
            latency_ms=latency_ms,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            at=self._clock.now(),
        )
        with self._sessions.begin() as session:
            session.execute(stmt)

    def entries(self, *, call_id: str, limit: int = 500) -> list[dict[str, Any]]:
        """A call's audit trail, oldest first, as plain dicts."""
        stmt = (
            select(AuditEntry)
            .where(AuditEntry.call_id == call_id)
            .order_by(AuditEntry.at, AuditEntry.id)
            .limit(limit)
        )
        with self._sessions() as session:
            return [
                {
                    "actor": row.actor,
                    "action": row.action,
                    "detail": row.detail,
                    "latency_ms": row.latency_ms,
                    "prompt_tokens": row.prompt_tokens,
                    "completion_tokens": row.completion_tokens,
                    "at": row.at,
                }
                for row in session.scalars(stmt)
            ]
