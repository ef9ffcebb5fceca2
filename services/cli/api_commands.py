"""CLI commands: `kcall api` serves the HTTP API."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("api")(serve_api)


def serve_api(
    host: str | None = typer.Option(None, help="bind address (default: KCALL_API_HOST)"),
    port: int | None = typer.Option(None, help="bind port (default: KCALL_API_PORT)"),
) -> None:
    """Serve the API (OpenAPI at /docs, live dashboard at /dashboard)."""
    import uvicorn

    from services.api import create_app
    from services.config import get_settings
    from services.observability.tracing import configure_tracing

    settings = get_settings()
    # The API's publishes start each call's trace (traceparent header); JSON logs on request.
    configure_tracing(settings, "kcall-api")
    uvicorn.run(
        create_app(settings),
        host=host or settings.api.host,
        port=port or settings.api.port,
        log_level="info",
        access_log=False,
    )
