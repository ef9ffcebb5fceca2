"""The queue of calls and chats handed to a human agent, and an agent taking one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from services.api.deps import BackendsDep, StaffDep, record_read
from services.api.schemas import ID_PATTERN

router = APIRouter(prefix="/v1/handoffs", tags=["handoffs"])



@router.get("")
def waiting(
    principal: StaffDep,
    backends: BackendsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict[str, Any]]:
    """Handoffs nobody has taken yet, oldest first (reason code and its Korean label)."""
    record_read(backends, principal, resource="handoffs", resource_id="waiting", customer_id=None)
    return backends.read_model.handoffs(limit=limit)


@router.post("/{handoff_id}/claim")
def claim(
    principal: StaffDep,
    handoff_id: Annotated[str, Path(pattern=ID_PATTERN)],
    backends: BackendsDep,
) -> dict[str, Any]:
    """Take a waiting handoff; the agent is the authenticated principal, never a body field.

    Exactly one claim succeeds: any later one (the same agent's too) is a 409 naming no one,
    so a second agent never picks up a customer someone is already talking to.
    """
    record_read(backends, principal, resource="handoffs", resource_id=handoff_id,
                customer_id=None)
    return backends.commands.claim_handoff(handoff_id, claimed_by=principal.subject)
