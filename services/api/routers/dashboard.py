"""The live dashboard: the page, and the server-sent-event stream of snapshots it renders."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from importlib.resources import files
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from services.api.backends import ApiBackends
from services.api.deps import BackendsDep, StaffDep, record_read
from services.api.security import Principal

router = APIRouter(tags=["dashboard"])

_PAGE = files("services.api").joinpath("static/dashboard.html")



@router.get("/dashboard", response_class=HTMLResponse)
def dashboard() -> HTMLResponse:
    """The page; it asks for an API key and keeps it in the browser's localStorage."""
    return HTMLResponse(_PAGE.read_text(encoding="utf-8"))


@router.get("/v1/dashboard/stream")
async def stream(
    principal: StaffDep,
    backends: BackendsDep,
    interval_s: Annotated[float, Query(ge=0.2, le=60.0)] = 2.0,
    max_events: Annotated[int, Query(ge=1, le=3600)] = 300,
) -> StreamingResponse:
    """Server-sent events: one `snapshot` (JSON) every `interval_s`, `max_events` in all.

    A snapshot holds the recent calls and, apart from them, the chat sessions; how many
    calls are active and the intents among them; the churn alerts; the calls and chats
    waiting for a human agent (oldest first); and (for keys with the
    `approvals` scope) the approval queue. The stream ends after `max_events`; a client
    reconnects (the page does).
    """
    record_read(backends, principal, resource="dashboard", resource_id="stream", customer_id=None)
    first = await run_in_threadpool(snapshot, backends, principal)
    return StreamingResponse(
        _events(first, backends, principal, interval_s, max_events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def snapshot(backends: ApiBackends, principal: Principal) -> dict[str, Any]:
    """What the dashboard shows right now."""
    recent = backends.read_model.recent_calls(limit=50)
    # Chat sessions are kept as calls with source "chat"; a supervisor reads them apart.
    calls = [c for c in recent if c.get("source") != "chat"]
    chats = [c for c in recent if c.get("source") == "chat"]
    approvals = backends.read_model.pending_approvals() if "approvals" in principal.scopes else None
    return {
        "at": datetime.now(UTC).isoformat(),
        "active": sum(1 for c in calls if c.get("status") == "active"),
        "intents": dict(Counter(str(c["intent"]) for c in calls if c.get("intent")).most_common()),
        "calls": calls,
        "chats": chats,
        "churn": backends.read_model.churn_flags(limit=20),
        "handoffs": backends.read_model.handoffs(limit=20),
        "approvals": approvals,
    }


async def _events(
    first: dict[str, Any],
    backends: ApiBackends,
    principal: Principal,
    interval_s: float,
    max_events: int,
) -> AsyncIterator[bytes]:
    current = first
    for sent in range(max_events):
        if sent:
            await anyio.sleep(interval_s)
            current = await run_in_threadpool(snapshot, backends, principal)
        yield (
            b"event: snapshot\ndata: " + json.dumps(current, ensure_ascii=False).encode() + b"\n\n"
        )
