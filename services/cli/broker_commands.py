"""CLI commands: `kcall broker` runs the embedded Kafka-compatible broker in the foreground."""

from __future__ import annotations

import time
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("broker")(broker)
    app.command("topics")(create_topics)


def create_topics() -> None:
    """Create every topic and DLQ on the Kafka at KCALL_KAFKA_BOOTSTRAP (idempotent), then exit."""
    from services.broker import ensure_topics
    from services.config import get_settings

    settings = get_settings()
    if not settings.kafka.bootstrap:
        typer.echo("KCALL_KAFKA_BOOTSTRAP is not set: nothing to create topics on", err=True)
        raise typer.Exit(2)
    created = ensure_topics(settings.kafka, settings.kafka.bootstrap, retention=settings.retention)
    typer.echo(f"{len(created)} topics created on {settings.kafka.bootstrap}")


def broker(
    port: Annotated[
        int | None, typer.Option(help="Loopback port to listen on; default: a free one.")
    ] = None,
) -> None:
    """Run an embedded tansu broker (memory only) with every topic created, until Ctrl-C."""
    from services.broker import EmbeddedBroker, ensure_topics
    from services.config import get_settings

    settings = get_settings()
    with EmbeddedBroker(port=port) as embedded:
        created = ensure_topics(settings.kafka, embedded.bootstrap, retention=settings.retention)
        typer.echo(f"tansu broker on {embedded.bootstrap} (pid {embedded.pid}, memory storage)")
        typer.echo(f"{len(created)} topics created, {settings.kafka.partitions} partitions each")
        typer.echo(f"use it from other shells: export KCALL_KAFKA_BOOTSTRAP={embedded.bootstrap}")
        typer.echo("Ctrl-C stops it (its data is lost).")
        try:
            while embedded.running:
                time.sleep(0.5)
        except KeyboardInterrupt:
            typer.echo("stopping the broker")
            return
    typer.echo("the broker exited on its own", err=True)
    raise typer.Exit(code=1)
