"""CLI command: `kcall demo` (its options; the run itself lives in `services.cli.demo`)."""

from __future__ import annotations

import typer

__all__ = ["demo", "register"]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("demo")(demo)


def demo(
    calls: int | None = typer.Option(None, help="calls to run (default KCALL_SIMULATOR_CALLS)"),
    audio: int | None = typer.Option(
        None, help="of which as audio (default KCALL_SIMULATOR_AUDIO_CALLS)"
    ),
    http: int = typer.Option(5, help="of which sent through the HTTP API"),
    speed: float = typer.Option(
        4.0, help="playback speed versus real time (0 = as fast as possible)"
    ),
    arrival_s: float = typer.Option(
        30.0, help="calls arrive (Poisson) over about this many seconds"
    ),
    timeout_s: float = typer.Option(180.0, help="wait this long for every summary"),
    model_wait_s: float = typer.Option(
        60.0, help="then wait up to this long for the model's rewordings (never fails the demo)"
    ),
) -> None:
    """Start every component, run simulated Korean calls, print results against ground truth."""
    from services.cli import demo as run

    run.demo(calls=calls, audio=audio, http=http, speed=speed, arrival_s=arrival_s,
             timeout_s=timeout_s, model_wait_s=model_wait_s)  # fmt: skip
