"""CLI commands: `kcall worker STAGE` runs one stream stage until SIGTERM or Ctrl-C.

Light at import: the stage's machinery (Kafka, the graph, Whisper) loads in `worker_run`
only when a worker starts, so `kcall --help` does not pay for it.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["StageName", "register", "worker"]


class StageName(StrEnum):
    """The stages a worker can run; a test keeps this equal to `pipelines.workers.Stage`."""

    ASR = "asr"
    AGENT = "agent"
    SINK = "sink"
    MODEL = "model"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("worker")(worker)


def worker(
    stage: Annotated[StageName, typer.Argument(help="asr | agent | sink | model")],
    ready_file: Annotated[
        Path | None,
        typer.Option(help="touch this file once the consumer group has assigned partitions"),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(help="serve Prometheus /metrics (lag, messages, DLQ) on this port"),
    ] = None,
) -> None:
    """Run one stage as a member of its consumer group (scale out by starting more).

    SIGTERM or Ctrl-C: the current batch is finished and flushed, its offsets committed,
    the group left, and the process exits 0 (within about a second plus the batch, even
    while the broker is away: undelivered output is then simply not committed).
    """
    from pipelines.workers import Stage
    from services.cli.worker_run import run_worker

    run_worker(Stage(stage.value), ready_file=ready_file, metrics_port=metrics_port)
