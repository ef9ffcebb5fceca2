"""Churn flags and the customer view."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from services.api.deps import BackendsDep, require
from services.api.errors import NotFound
from services.api.schemas import ID_PATTERN
from services.api.security import Principal

router = APIRouter(prefix="/v1", tags=["customers"])

Reader = Annotated[Principal, Depends(require("calls:read"))]


@router.get("/churn-flags")
def churn_flags(
    _: Reader, backends: BackendsDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[dict[str, Any]]:
    """Customers flagged at risk of leaving, newest first."""
    return backends.read_model.churn_flags(limit=limit)


@router.get("/customers/{customer_id}")
def customer(
    _: Reader, customer_id: Annotated[str, Path(pattern=ID_PATTERN)], backends: BackendsDep
) -> dict[str, Any]:
    """Customer (name and phone masked), plan, recent invoices, credits and calls."""
    view = backends.read_model.customer_view(customer_id)
    if view is None:
        raise NotFound(f"고객 {customer_id}를 찾을 수 없습니다 (unknown customer)")
    return view
