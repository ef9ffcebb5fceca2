"""The body of `kcall worker STAGE`: signals, metrics, tracing, then the generic stage loop."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType

from pipelines.runner import run_stage
from pipelines.workers import Stage, stage_handler
from services.broker import kafka_endpoint
from services.config import get_settings
from services.observability.stage_metrics import instrument
from services.observability.tracing import configure_tracing

__all__ = ["run_worker"]

log = logging.getLogger(__name__)


def run_worker(stage: Stage, *, ready_file: Path | None, metrics_port: int | None) -> None:
    """Run `stage` until SIGTERM or SIGINT, then finish the batch, commit and leave."""
    settings = get_settings()
    configure_tracing(settings, f"kcall-{stage.value}")
    stop = threading.Event()
    port = metrics_port if metrics_port is not None else settings.kafka.metrics_port
    if port is not None:
        from pipelines.metrics import serve_metrics

        serve_metrics(port)

    def request_stop(signum: int, _: FrameType | None) -> None:
        log.info("signal %d: finishing the batch, committing and leaving the group", signum)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    ready = threading.Event()
    if ready_file is not None:
        threading.Thread(target=_touch_when, args=(ready, ready_file, stop), daemon=True).start()
    with kafka_endpoint(settings) as bootstrap, stage_handler(stage, settings) as handler:
        stats = run_stage(
            instrument(handler, tracing=settings.trace.enabled),
            bootstrap=bootstrap, settings=settings, stop=stop, ready=ready,
        )  # fmt: skip
    log.info("%s worker stopped: %s", stage.value, stats)


def _touch_when(ready: threading.Event, path: Path, stop: threading.Event) -> None:
    while not stop.is_set():
        if ready.wait(timeout=0.5):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
            return
