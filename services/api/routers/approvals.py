"""Supervisor approval queue for credits above the automatic limit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request

from services.api.deps import BackendsDep, record_read, require
from services.api.errors import IdempotencyReused
from services.api.idempotency import IDEMPOTENCY_KEY_PATTERN, IdempotencyKeys
from services.api.schemas import ID_PATTERN, ApprovalDecision
from services.api.security import Principal
from services.schemas import ApprovalDecided, Topic

router = APIRouter(prefix="/v1/approvals", tags=["approvals"])

Supervisor = Annotated[Principal, Depends(require("approvals"))]


@router.get("")
def pending(principal: Supervisor, backends: BackendsDep) -> list[dict[str, Any]]:
    """Credits waiting for a decision."""
    record_read(backends, principal, resource="approvals", resource_id="pending", customer_id=None)
    return backends.read_model.pending_approvals()


@router.post("/{approval_id}")
def decide(
    principal: Supervisor,
    approval_id: Annotated[str, Path(pattern=ID_PATTERN)],
    body: ApprovalDecision,
    backends: BackendsDep,
    request: Request,
    idempotency_key: Annotated[str | None, Header(pattern=IDEMPOTENCY_KEY_PATTERN)] = None,
) -> dict[str, Any]:
    """Approve or reject; the decision is stored, then routed to the call's agent worker.

    The deciding supervisor is the authenticated principal (the key's binding), never a
    field of the body.

    The worker re-reads the approval from the database before any credit moves, so the
    event only wakes the graph up; it carries no authority of its own. Repeating the same
    decision (same supervisor) is a retry: it answers the stored decision and sends the
    event again (a lost event would leave the graph waiting). Any other second decision
    is a 409 (an unknown approval a 404: services.api.errors maps the command's errors).
    An `Idempotency-Key` header ties a key to this approval and decision: the
    same key with another approval or the other decision is refused (422).
    """
    if idempotency_key is not None:
        keys: IdempotencyKeys = request.app.state.idempotency
        if not keys.claim(principal.key_id, idempotency_key, f"{approval_id}:{body.approve}"):
            raise IdempotencyReused(
                "같은 Idempotency-Key가 다른 요청에 쓰였습니다 "
                "(Idempotency-Key reused with other parameters)"
            )
    approval = backends.commands.decide_approval(
        approval_id, approve=body.approve, decided_by=principal.subject
    )
    backends.publisher.publish(
        Topic.TRANSCRIPTS,
        ApprovalDecided(
            call_id=str(approval["call_id"]),
            approval_id=approval_id,
            approved=body.approve,
            decided_by=principal.subject,
        ),
    )
    return approval
