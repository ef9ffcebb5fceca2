"""ApiCommands on the database layer: the API's writes, kept apart from its queries.

A supervisor's approval decision and a human agent's claim of a handoff are each stored
once; what a retry or a second claimant gets back is decided here, and the reasons are
raised as RecordNotFound and RecordConflict, which services.api.errors maps to 404 and 409.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from services.api.backends import RecordConflict, RecordNotFound
from services.api.read_model import database_errors, handoff_json
from services.db import (
    ApprovalAlreadyDecided,
    ApprovalNotFound,
    HandoffAlreadyClaimed,
    HandoffNotFound,
    SqlApprovalStore,
    SqlHandoffQueue,
)

__all__ = ["SqlApiCommands"]


class SqlApiCommands:
    """Approval decisions through SqlApprovalStore, handoff claims through SqlHandoffQueue."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._approvals = SqlApprovalStore(sessions)
        self._handoffs = SqlHandoffQueue(sessions)

    def decide_approval(
        self, approval_id: str, *, approve: bool, decided_by: str
    ) -> dict[str, Any]:
        """Store the decision once; the same decision by the same supervisor is a retry.

        Raises:
            RecordNotFound: no such approval.
            RecordConflict: it was already decided otherwise, or by someone else.
        """
        try:
            with database_errors():
                ticket = self._approvals.decide_approval(
                    approval_id=approval_id, approve=approve, decided_by=decided_by
                )
        except ApprovalNotFound as exc:
            raise RecordNotFound(_unknown_approval(approval_id)) from exc
        except ApprovalAlreadyDecided as exc:
            raise RecordConflict(_already_decided(exc.status)) from exc
        if ticket.decided_by != decided_by:
            raise RecordConflict(_already_decided(f"{ticket.status} by another supervisor"))
        with database_errors():
            view = self._approvals.view(approval_id)
        if view is None:  # decided a moment ago, then purged by retention in between
            raise RecordNotFound(_unknown_approval(approval_id))
        return view.model_dump(mode="json")

    def claim_handoff(self, handoff_id: str, *, claimed_by: str) -> dict[str, Any]:
        """Give the handoff to `claimed_by` once.

        Raises:
            RecordNotFound: no such handoff.
            RecordConflict: it was claimed before (by anyone, the same agent included); the
                reason names no one.
        """
        try:
            with database_errors():
                view = self._handoffs.claim(handoff_id=handoff_id, claimed_by=claimed_by)
        except HandoffNotFound as exc:
            reason = f"상담원 연결 요청 {handoff_id}가 없습니다 (unknown handoff)"
            raise RecordNotFound(reason) from exc
        except HandoffAlreadyClaimed as exc:
            raise RecordConflict("이미 다른 상담원이 맡은 요청입니다 (already claimed)") from exc
        return handoff_json(view)


def _unknown_approval(approval_id: str) -> str:
    return f"승인 요청 {approval_id}가 없습니다 (unknown approval)"


def _already_decided(why: str) -> str:
    return f"이미 처리된 승인 요청입니다 (already decided: {why})"
