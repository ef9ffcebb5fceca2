"""Stage worker processes for the benches: one stage per process, a group joined before timing.

The benches run the production stage loop (`run_stage`) in separate processes, as
`kcall worker <stage>` does, and start timing only once every worker has joined its
consumer group; the setup pieces they share (a fresh seeded database, the settings of a
text-only agent run) are here too.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipelines.bootstrap import load_intent_model
from pipelines.runner import run_stage
from pipelines.stage import StageHandler
from services.config import Settings, get_settings
from services.db import make_engine, seed_world, upgrade
from simulator import generate_world

__all__ = ["agent_bench_settings", "fresh_database", "run_in_process", "worker_group"]


def run_in_process(handler: StageHandler, *, bootstrap: str, settings: Settings, ready: Any,
                   stop: Any) -> None:
    """`run_stage` in this worker process, tied to the parent's `ready` and `stop` events.

    The runner takes threading events; two relay threads bridge them to the parent's
    multiprocessing events (stop: parent -> runner; joined the group: runner -> parent).
    """
    halt, joined = threading.Event(), threading.Event()

    def relay(source: Any, target: Any) -> None:
        source.wait()
        target.set()

    threading.Thread(target=relay, args=(stop, halt), daemon=True).start()
    threading.Thread(target=relay, args=(joined, ready), daemon=True).start()
    run_stage(handler, bootstrap=bootstrap, settings=settings, stop=halt, ready=joined)


@contextmanager
def worker_group(target: Callable[..., None], args: Sequence[Any], *, workers: int,
                 what: str, join_timeout_s: float, settle_s: float = 0.0
                 ) -> Iterator[dict[str, int]]:
    """`workers` processes running `target(*args, ready, stop)`; yields their pids once joined.

    Waits until every worker has joined its group (TimeoutError after `join_timeout_s`),
    then `settle_s` for the last rebalance; on exit sets stop and joins (or ends) them.
    """
    stop = multiprocessing.Event()
    readies = [multiprocessing.Event() for _ in range(workers)]
    procs = [multiprocessing.Process(target=target, args=(*args, ready, stop), daemon=True)
             for ready in readies]
    for proc in procs:
        proc.start()
    try:
        for ready in readies:
            if not ready.wait(timeout=join_timeout_s):
                raise TimeoutError(f"{what} did not join its group")
        time.sleep(settle_s)  # a rebalance still settling would be timed otherwise
        yield {f"worker {i + 1}": p.pid for i, p in enumerate(procs) if p.pid}
    finally:
        stop.set()
        for proc in procs:
            proc.join(timeout=60)
            if proc.is_alive():
                proc.terminate()


def fresh_database(settings: Settings, prefix: str) -> str:
    """A new SQLite file at head, seeded with the simulator's world; its URL."""
    run_dir = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
    url = f"sqlite:///{run_dir / 'kcall.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        world = generate_world(seed=settings.simulator.seed,
                               customers=settings.simulator.customers)
        seed_world(engine, world.billing)
    finally:
        engine.dispose()
    return url


def agent_bench_settings(*, fetch_max_wait_ms: int) -> Settings:
    """Settings of a text-only agent run (LLM off), the intent model trained before timing."""
    os.environ["KCALL_LLM_ENABLED"] = "false"
    os.environ["KCALL_KAFKA_FETCH_MAX_WAIT_MS"] = str(fetch_max_wait_ms)
    settings = get_settings()
    load_intent_model(settings)  # trained and cached once, before anything is timed
    return settings
