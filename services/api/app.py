"""The FastAPI app factory; the lifespan owns every client the routers use."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, asynccontextmanager

from fastapi import FastAPI

from services.api.backends import ApiBackends
from services.api.errors import install_error_handlers
from services.api.idempotency import IdempotencyKeys
from services.api.keys import KeyResolver, static_principals
from services.api.routers import (
    approvals,
    calls,
    chat,
    customers,
    dashboard,
    handoffs,
    health,
    metrics,
)
from services.api.security import BodySizeLimit, KeyAuthority, TokenBucket
from services.api.telemetry import RequestMetrics
from services.config import Settings

BackendsFactory = Callable[[Settings], AbstractContextManager[ApiBackends]]


def create_app(settings: Settings, *, backends: BackendsFactory | None = None) -> FastAPI:
    """Build the app; `backends` defaults to the real Kafka + database wiring."""
    if backends is None:
        from services.api.wiring import real_backends

        backends = real_backends

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with backends(settings) as built:
            app.state.backends = built
            try:
                yield
            finally:
                app.state.backends = None
                for close in built.async_closers:
                    await close()

    app = FastAPI(
        title="kcall",
        summary="한국어 통신사 상담 에이전트 API: 통화 수집, 통화 조회, 승인, 이탈 위험, 챗봇",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.authority = KeyAuthority(
        KeyResolver(
            static_principals(settings.api.api_keys), cache_s=settings.api.key_cache_seconds
        ),
        TokenBucket(per_minute=settings.api.rate_limit_per_minute),
        address_limiter=TokenBucket(per_minute=settings.api.rate_limit_per_address_per_minute),
    )
    app.state.idempotency = IdempotencyKeys()
    app.state.backends = None
    install_error_handlers(app)
    for router in (health, calls, approvals, handoffs, customers, chat, metrics, dashboard):
        app.include_router(router.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.api.max_body_bytes)
    # Added last, so it is outermost: 413s from the size limit are counted too.
    app.add_middleware(RequestMetrics)
    return app
