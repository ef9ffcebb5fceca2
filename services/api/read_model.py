"""CallReadModel on the database layer: its read models as JSON, plus the calls overview.

Queries only: the API's writes (approval decisions, handoff claims) are services.api.commands.

Customer names and phone numbers are masked here (김*준, 010-****-5678): a supervisor
screen needs to recognise a customer, not to copy their number.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import and_, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from agents.policies.handoff import REASON_LABELS
from services.api.backends import BackendUnavailable
from services.db import HandoffView, SqlAuditLog, SqlCallStore, SqlHandoffQueue
from services.db.models import Call, ChurnFlag, Dispute, InsightRow, SummaryRow

__all__ = ["SqlCallReadModel", "database_errors", "handoff_json", "mask_name", "mask_phone"]

_HEADLINE_CHARS = 80


class SqlCallReadModel:
    """Reads through SqlCallStore, SqlAuditLog and SqlHandoffQueue; writes nothing."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._calls = SqlCallStore(sessions)
        self._audit = SqlAuditLog(sessions)
        self._handoffs = SqlHandoffQueue(sessions)

    def call_view(self, call_id: str) -> dict[str, Any] | None:
        """Timeline, insights, summary, disputes and churn flag of one call."""
        with database_errors():
            view = self._calls.call_view(call_id=call_id)
        return None if view is None else view.model_dump(mode="json")

    def recent_calls(
        self,
        *,
        limit: int,
        customer_id: str | None = None,
        offset: int = 0,
        status: str | None = None,
    ) -> list[dict[str, Any]]:
        """Latest calls with their main intent, live churn score, dispute and summary.

        `customer_id` keeps only that customer's calls, `status` only calls in that state;
        `offset` skips that many of the newest (pages of `limit`).
        """
        query = select(Call)
        if customer_id is not None:
            query = query.where(Call.customer_id == customer_id)
        if status is not None:
            query = query.where(Call.status == status)
        with database_errors(), self._sessions() as session:
            calls = list(
                session.scalars(
                    query.order_by(Call.started_at.desc().nulls_last(), Call.call_id.desc())
                    .offset(offset)
                    .limit(limit)
                )
            )
            ids = [call.call_id for call in calls]
            latest = _latest_insights(session, ids, substantive=False)
            topical = _latest_insights(session, ids, substantive=True)
            flagged = set(
                session.scalars(select(ChurnFlag.call_id).where(ChurnFlag.call_id.in_(ids)))
            )
            outcomes = _latest_dispute_outcomes(session, ids)
            summaries: dict[str, tuple[str, int, str, dict[str, Any]]] = {
                call_id: (summary, revision, source, payload)
                for call_id, summary, revision, source, payload in session.execute(
                    select(
                        SummaryRow.call_id,
                        SummaryRow.summary,
                        SummaryRow.revision,
                        SummaryRow.source,
                        SummaryRow.payload,
                    ).where(SummaryRow.call_id.in_(ids))
                )
            }
        rows = []
        for call in calls:
            last = latest.get(call.call_id)
            main = topical.get(call.call_id) or last
            summary = summaries.get(call.call_id)
            rows.append(
                {
                    "call_id": call.call_id,
                    "customer_id": call.customer_id,
                    "source": call.source,
                    "status": call.status,
                    "started_at": call.started_at.isoformat() if call.started_at else None,
                    "intent": main[0] if main else None,
                    "churn_score": last[1] if last else None,
                    "churn_flag": call.call_id in flagged,
                    "dispute_outcome": outcomes.get(call.call_id),
                    # The digest's one line when the summary has one (older ones do not).
                    "summary_headline": (
                        _headline(summary[3].get("headline") or summary[0]) if summary else None
                    ),
                    "summary_tags": list(summary[3].get("tags", [])) if summary else [],
                    # Which revision the headline is, and who wrote it (rules or model).
                    "summary_revision": summary[1] if summary else None,
                    "summary_source": summary[2] if summary else None,
                }
            )
        return rows

    def pending_approvals(self) -> list[dict[str, Any]]:
        """Credits waiting for a supervisor, oldest first."""
        with database_errors():
            views = self._calls.list_pending_approvals(limit=200)
        return [view.model_dump(mode="json") for view in views]

    def churn_flags(self, *, limit: int) -> list[dict[str, Any]]:
        """Flagged calls, newest first."""
        with database_errors():
            flags = self._calls.list_churn_flags(limit=limit)
        return [flag.model_dump(mode="json") for flag in flags]

    def handoffs(self, *, limit: int) -> list[dict[str, Any]]:
        """Handoffs waiting for a human agent, oldest first, with the reason in Korean."""
        with database_errors():
            views = self._handoffs.waiting(limit=limit)
        return [handoff_json(view) for view in views]

    def customer_view(self, customer_id: str) -> dict[str, Any] | None:
        """Customer (masked), plan, recent invoices, credits, calls and churn flags."""
        with database_errors():
            view = self._calls.customer_view(customer_id=customer_id)
        if view is None:
            return None
        body = view.model_dump(mode="json")
        body["customer"]["name"] = mask_name(view.customer.name)
        body["customer"]["phone"] = mask_phone(view.customer.phone)
        return body

    def audit_trail(self, call_id: str, *, limit: int) -> list[dict[str, Any]]:
        """The call's audit log: nodes, tool calls and model calls with latency and tokens."""
        with database_errors():
            entries = self._audit.entries(call_id=call_id, limit=limit)
        return [{**entry, "at": entry["at"].isoformat()} for entry in entries]

    def healthy(self) -> bool:
        """Whether the database answers a trivial query."""
        try:
            with self._sessions() as session:
                session.execute(text("SELECT 1"))
        except DBAPIError:
            return False
        return True


def mask_name(name: str) -> str:
    """Keep the first and last character of a name (김민준 -> 김*준, 이준 -> 이*)."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """Hide the middle block of a phone number (010-1234-5678 -> 010-****-5678)."""
    digits = [i for i, ch in enumerate(phone) if ch.isdigit()]
    if len(digits) < 7:
        return "*" * len(phone)
    hidden = set(digits[3:-4])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(phone))


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn a database failure into BackendUnavailable (503)."""
    try:
        yield
    except DBAPIError as exc:
        raise BackendUnavailable(f"database: {type(exc.orig).__name__}") from exc


def _latest_insights(
    session: Session, call_ids: list[str], *, substantive: bool
) -> dict[str, tuple[str, float]]:
    """Per call, the newest insight (`substantive`: the newest whose intent is not "other")."""
    newest = select(InsightRow.call_id, func.max(InsightRow.utterance_seq).label("seq")).where(
        InsightRow.call_id.in_(call_ids)
    )
    if substantive:
        newest = newest.where(InsightRow.intent != "other")
    last = newest.group_by(InsightRow.call_id).subquery()
    rows = session.execute(
        select(InsightRow.call_id, InsightRow.intent, InsightRow.churn_score).join(
            last, and_(InsightRow.call_id == last.c.call_id, InsightRow.utterance_seq == last.c.seq)
        )
    )
    return {call_id: (intent, score) for call_id, intent, score in rows}


def _latest_dispute_outcomes(session: Session, call_ids: list[str]) -> dict[str, str]:
    rows = session.execute(
        select(Dispute.call_id, Dispute.outcome)
        .where(Dispute.call_id.in_(call_ids))
        .order_by(Dispute.updated_at, Dispute.id)
    )
    return {call_id: outcome for call_id, outcome in rows}  # the newest wins


def handoff_json(view: HandoffView) -> dict[str, Any]:
    """A handoff as JSON, with its reason in Korean beside the code."""
    return {**view.model_dump(mode="json"), "reason_label": REASON_LABELS.get(view.reason, "")}


def _headline(summary: str | None) -> str | None:
    if not summary:
        return None
    first = summary.strip().split("\n", 1)[0]
    return first if len(first) <= _HEADLINE_CHARS else first[: _HEADLINE_CHARS - 1] + "…"
