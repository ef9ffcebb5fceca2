"""API errors and their one mapping to HTTP.

Exception tree:
    ApiError                 -> 4xx/5xx with a JSON body {"error": code, "detail": reason}
    ├── NotFound             -> 404
    ├── Conflict             -> 409
    ├── Unauthorized         -> 401
    ├── Forbidden            -> 403
    ├── RateLimited          -> 429
    ├── PayloadTooLarge      -> 413
    └── Unavailable          -> 503
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class ApiError(Exception):
    """Base of every error the API reports on purpose."""

    status_code = 400
    code = "bad_request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


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


class PayloadTooLarge(ApiError):
    """The body is over the limit."""

    status_code = 413
    code = "payload_too_large"


class Unavailable(ApiError):
    """A dependency (broker, database, model) is not ready."""

    status_code = 503
    code = "unavailable"


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors and validation errors to clear JSON responses, once."""

    async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return JSONResponse(
            status_code=exc.status_code, content={"error": exc.code, "detail": exc.detail}
        )

    async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = [
            {"field": ".".join(str(p) for p in err["loc"]), "reason": err["msg"]}
            for err in exc.errors()
        ]
        return JSONResponse(
            status_code=422,
            content={"error": "invalid_request", "detail": problems},
        )

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
