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
    """Broker and database answer."""
    checks = {
        "broker": backends.publisher.healthy(),
        "database": backends.read_model.healthy(),
    }
    if not all(checks.values()):
        raise Unavailable(f"not ready: {checks}")
    return {"status": "ready", "checks": checks}
