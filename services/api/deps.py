"""Dependency aliases for the routers (`BackendsDep`, `require(scope)`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request

from services.api.backends import ApiBackends
from services.api.errors import Unavailable
from services.api.security import KeyAuthority, Principal


def _backends(request: Request) -> ApiBackends:
    backends: ApiBackends | None = getattr(request.app.state, "backends", None)
    if backends is None:
        raise Unavailable("서비스가 아직 준비되지 않았습니다 (backends not ready)")
    return backends


BackendsDep = Annotated[ApiBackends, Depends(_backends)]


def require(scope: str) -> Callable[..., Principal]:
    """A dependency that authenticates the caller and checks one scope."""

    def check(
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> Principal:
        authority: KeyAuthority = request.app.state.authority
        presented = x_api_key
        if authorization and authorization.lower().startswith("bearer "):
            presented = authorization[7:].strip()
        return authority.authorize(presented, scope)

    return check
