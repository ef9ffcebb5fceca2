"""Churn flags and the customer view."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from services.api.deps import BackendsDep, ReaderDep, StaffDep, record_read, require
from services.api.errors import NotFound
from services.api.schemas import ID_PATTERN
from services.api.security import Principal

router = APIRouter(prefix="/v1", tags=["customers"])

Customer = Annotated[Principal, Depends(require("self"))]


@router.get("/churn-flags")
def churn_flags(
    principal: StaffDep, backends: BackendsDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[dict[str, Any]]:
    """Customers flagged at risk of leaving, newest first."""
    record_read(backends, principal, resource="churn_flags", resource_id="recent", customer_id=None)
    return backends.read_model.churn_flags(limit=limit)


@router.get("/customers/{customer_id}")
def customer(
    principal: ReaderDep,
    customer_id: Annotated[str, Path(pattern=ID_PATTERN)],
    backends: BackendsDep,
) -> dict[str, Any]:
    """Customer (name and phone masked), plan, recent invoices, credits and calls.

    A customer key sees only its own customer; any other id is "not found".
    """
    return _customer_view(principal, customer_id, backends)


@router.get("/me")
def me(principal: Customer, backends: BackendsDep) -> dict[str, Any]:
    """The calling customer's own view: plan, bills, credits, calls and cases."""
    assert principal.customer_id is not None  # the "self" scope is only on customer keys
    return _customer_view(principal, principal.customer_id, backends)


def _customer_view(principal: Principal, customer_id: str, backends: BackendsDep) -> dict[str, Any]:
    own = principal.customer_id
    view = (
        None if own not in (None, customer_id) else backends.read_model.customer_view(customer_id)
    )
    if view is None:
        raise NotFound(f"고객 {customer_id}를 찾을 수 없습니다 (unknown customer)")
    record_read(
        backends, principal, resource="customer", resource_id=customer_id, customer_id=customer_id
    )
    return view
