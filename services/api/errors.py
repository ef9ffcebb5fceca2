"""API errors and their one mapping to HTTP.

Exception tree:
    ApiError                 -> 4xx/5xx with a JSON body {"error": code, "detail": reason}
    ├── NotFound             -> 404
    ├── Conflict             -> 409
    ├── Unauthorized         -> 401
    ├── Forbidden            -> 403
    ├── RateLimited          -> 429
    ├── IdempotencyReused    -> 422
    ├── PayloadTooLarge      -> 413
    ├── UnsupportedMedia     -> 415
    └── Unavailable          -> 503
Also mapped here: request validation (422, one {"field", "reason"} per problem), the
ports' RecordNotFound (404) and RecordConflict (409) from a command, BackendUnavailable
from a port (503) and Starlette's own HTTP errors (404 route, 405).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from services.api.backends import BackendUnavailable, RecordConflict, RecordNotFound

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Base of every error the API reports on purpose."""

    status_code = 400
    code = "bad_request"

    def __init__(self, detail: str, *, retry_after_s: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after_s = retry_after_s


class NotFound(ApiError):
    """The resource does not exist."""

    status_code = 404
    code = "not_found"


class Conflict(ApiError):
    """The request clashes with the resource's state."""

    status_code = 409
    code = "conflict"


class Unauthorized(ApiError):
    """No or unknown API key."""

    status_code = 401
    code = "unauthorized"


class Forbidden(ApiError):
    """The key lacks the scope."""

    status_code = 403
    code = "forbidden"


class RateLimited(ApiError):
    """Too many requests for this key."""

    status_code = 429
    code = "rate_limited"


class IdempotencyReused(ApiError):
    """An Idempotency-Key came back with other parameters."""

    status_code = 422
    code = "idempotency_key_reused"


class PayloadTooLarge(ApiError):
    """The body is over the limit."""

    status_code = 413
    code = "payload_too_large"


class UnsupportedMedia(ApiError):
    """The body's content type is not one this endpoint takes."""

    status_code = 415
    code = "unsupported_media_type"


class Unavailable(ApiError):
    """A dependency (broker, database, model) is not ready."""

    status_code = 503
    code = "unavailable"


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors and validation errors to clear JSON responses, once."""

    async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        headers = None if exc.retry_after_s is None else {"Retry-After": str(exc.retry_after_s)}
        return _error_response(exc.status_code, exc.code, exc.detail, headers)

    async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = [
            {"field": ".".join(str(p) for p in err["loc"]), "reason": err["msg"]}
            for err in exc.errors()
        ]
        return _error_response(422, "invalid_request", problems)

    async def on_record_error(_: Request, exc: Exception) -> JSONResponse:
        mapped = NotFound if isinstance(exc, RecordNotFound) else Conflict
        return _error_response(mapped.status_code, mapped.code, str(exc))

    async def on_backend_unavailable(_: Request, exc: Exception) -> JSONResponse:
        log.warning("backend unavailable: %s", exc)
        return _error_response(
            Unavailable.status_code, Unavailable.code, f"잠시 후 다시 시도해 주세요 ({exc})",
            {"Retry-After": "1"},
        )

    async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return _error_response(
            exc.status_code, _HTTP_CODES.get(exc.status_code, "http_error"), exc.detail,
            exc.headers,
        )

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(RecordNotFound, on_record_error)
    app.add_exception_handler(RecordConflict, on_record_error)
    app.add_exception_handler(BackendUnavailable, on_backend_unavailable)
    app.add_exception_handler(HTTPException, on_http_error)


def _error_response(
    status_code: int, code: str, detail: Any, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The one error body: {"error": code, "detail": reason}."""
    return JSONResponse(
        status_code=status_code, content={"error": code, "detail": detail}, headers=headers
    )


_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}
