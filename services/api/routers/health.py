"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.api.deps import BackendsDep
from services.api.errors import Unavailable

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(backends: BackendsDep) -> dict[str, Any]:
    """Broker and database answer (the optional assistant is reported, not required)."""
    checks = {
        "broker": backends.publisher.healthy(),
        "database": backends.read_model.healthy(),
    }
    if not all(checks.values()):
        down = ", ".join(name for name, ok in checks.items() if not ok)
        raise Unavailable(f"준비되지 않았습니다 (not ready: {down})")
    assistant = "ready" if backends.chat is not None else backends.chat_unavailable or "off"
    return {"status": "ready", "checks": checks, "assistant": assistant}
