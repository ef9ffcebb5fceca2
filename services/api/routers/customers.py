"""Churn flags and the customer view."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.api.deps import BackendsDep, require
from services.api.errors import NotFound
from services.api.security import Principal

router = APIRouter(prefix="/v1", tags=["customers"])

Reader = Annotated[Principal, Depends(require("calls:read"))]


@router.get("/churn-flags")
def churn_flags(
    backends: BackendsDep, _: Reader, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[dict[str, Any]]:
    """Customers flagged at risk of leaving, newest first."""
    return backends.read_model.churn_flags(limit=limit)


@router.get("/customers/{customer_id}")
def customer(customer_id: str, backends: BackendsDep, _: Reader) -> dict[str, Any]:
    """Customer, plan, recent invoices, credits and calls."""
    view = backends.read_model.customer_view(customer_id)
    if view is None:
        raise NotFound(f"고객 {customer_id}를 찾을 수 없습니다 (unknown customer)")
    return view
