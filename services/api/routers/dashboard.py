"""A small live dashboard page for supervisors (polls the JSON API)."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["dashboard"])

_PAGE = files("services.api").joinpath("static/dashboard.html")


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard() -> HTMLResponse:
    """The page; it asks for an API key and keeps it in the browser's localStorage."""
    return HTMLResponse(_PAGE.read_text(encoding="utf-8"))
