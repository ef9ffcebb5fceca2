"""CLI commands: `kcall worker STAGE` runs one stream stage until SIGTERM or Ctrl-C."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from pipelines.runner import run_stage
from pipelines.workers import Stage, stage_handler
from services.broker import kafka_endpoint
from services.config import get_settings

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("worker")(worker)


def worker(
    stage: Annotated[Stage, typer.Argument(help="asr | agent | sink")],
    ready_file: Annotated[
        Path | None,
        typer.Option(help="touch this file once the consumer group has assigned partitions"),
    ] = None,
) -> None:
    """Run one stage as a member of its consumer group (scale out by starting more)."""
    settings = get_settings()
    stop = threading.Event()

    def request_stop(signum: int, _: FrameType | None) -> None:
        log.info("signal %d: finishing the batch, committing and leaving the group", signum)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    ready = threading.Event()
    if ready_file is not None:
        threading.Thread(target=_touch_when, args=(ready, ready_file, stop), daemon=True).start()
    with kafka_endpoint(settings) as bootstrap, stage_handler(stage, settings) as handler:
        stats = run_stage(handler, bootstrap=bootstrap, settings=settings, stop=stop, ready=ready)
    log.info("%s worker stopped: %s", stage.value, stats)


def _touch_when(ready: threading.Event, path: Path, stop: threading.Event) -> None:
    while not stop.is_set():
        if ready.wait(timeout=0.5):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
            return
