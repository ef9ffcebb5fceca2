"""Dependency aliases for the routers (`BackendsDep`, `StaffDep`, `require`) and the access log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request

from services.api.backends import ApiBackends
from services.api.errors import Unavailable
from services.api.security import KeyAuthority, Principal

__all__ = ["BackendsDep", "ReaderDep", "StaffDep", "record_read", "require"]

log = logging.getLogger(__name__)


def _backends(request: Request) -> ApiBackends:
    backends: ApiBackends | None = getattr(request.app.state, "backends", None)
    if backends is None:
        raise Unavailable("서비스가 아직 준비되지 않았습니다 (backends not ready)")
    return backends


BackendsDep = Annotated[ApiBackends, Depends(_backends)]


def require(scope: str, *alternatives: str) -> Callable[..., Principal]:
    """A dependency that authenticates the caller and checks one scope (or an alternative)."""

    def check(
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> Principal:
        authority: KeyAuthority = request.app.state.authority
        presented = x_api_key
        if authorization and authorization.lower().startswith("bearer "):
            presented = authorization[7:].strip()
        backends: ApiBackends | None = getattr(request.app.state, "backends", None)
        return authority.authorize(
            presented,
            scope,
            alternatives=alternatives,
            address=request.client.host if request.client else "unknown",
            store=backends.keys if backends else None,
        )

    return check


StaffDep = Annotated[Principal, Depends(require("calls:read"))]
"""A staff key that reads calls."""
ReaderDep = Annotated[Principal, Depends(require("calls:read", "self"))]
"""A staff key that reads calls, or a customer key (which sees only its own)."""


def record_read(
    backends: ApiBackends,
    principal: Principal,
    *,
    resource: str,
    resource_id: str,
    customer_id: str | None,
) -> None:
    """Record a read of personal data before it is answered (no log entry, no answer)."""
    if backends.access_log is None:
        raise Unavailable("접근 기록을 남길 수 없어 조회할 수 없습니다 (access log not configured)")
    try:
        backends.access_log.record(
            key_id=principal.key_id,
            role=principal.role,
            subject=principal.subject,
            action="read",
            resource=resource,
            resource_id=resource_id,
            customer_id=customer_id,
        )
    except Exception as exc:
        log.exception("access log write failed")
        raise Unavailable(
            f"접근 기록을 남길 수 없어 조회할 수 없습니다 (access log: {type(exc).__name__})"
        ) from exc
