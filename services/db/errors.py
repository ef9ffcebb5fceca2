"""Domain errors of the database layer.

DbError
├── IdempotencyConflict   a key was reused for a different proposal (customer or amount)
├── ApprovalNotFound      no approval with that id
├── ApprovalAlreadyDecided the approval was decided the other way, or already used
├── HandoffNotFound       no handoff with that id
└── HandoffAlreadyClaimed a human agent already took the handoff
"""

from __future__ import annotations


class DbError(Exception):
    """Base of the errors this layer raises on purpose."""


class IdempotencyConflict(DbError):
    """The idempotency key exists but names a different customer or amount."""


class ApprovalNotFound(DbError, LookupError):
    """No approval has this id."""


class ApprovalAlreadyDecided(DbError):
    """The approval is no longer pending and cannot take this decision."""

    def __init__(self, approval_id: str, status: str) -> None:
        super().__init__(f"approval {approval_id} is already {status}")
        self.approval_id = approval_id
        self.status = status


class HandoffNotFound(DbError, LookupError):
    """No handoff has this id."""


class HandoffAlreadyClaimed(DbError):
    """The handoff was claimed before (by `claimed_by`)."""

    def __init__(self, handoff_id: str, claimed_by: str) -> None:
        super().__init__(f"handoff {handoff_id} is already claimed")
        self.handoff_id = handoff_id
        self.claimed_by = claimed_by
