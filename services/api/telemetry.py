"""Prometheus metrics of the API: requests by route and status, latency, published events."""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["PUBLISHED", "PUBLISH_SECONDS", "REQUESTS", "REQUEST_SECONDS", "RequestMetrics"]

# Label by route template (/v1/calls/{call_id}), never the raw path: call ids would make
# one time series per call.
REQUESTS = Counter(
    "kcall_api_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
REQUEST_SECONDS = Histogram(
    "kcall_api_request_seconds",
    "Time to answer (for streams: until the last byte)",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
PUBLISHED = Counter(
    "kcall_api_published_total", "Ingested events handed to Kafka", ["topic", "outcome"]
)
PUBLISH_SECONDS = Histogram(
    "kcall_api_publish_seconds",
    "Send until the broker acknowledged (acks=all)",
    ["topic"],
    buckets=(0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0),
)


class RequestMetrics:
    """ASGI middleware counting requests and timing them per route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and record its status under the matched route."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = str(scope.get("method", ""))
            REQUESTS.labels(method, route, str(status)).inc()
            REQUEST_SECONDS.labels(method, route).observe(time.perf_counter() - started)
