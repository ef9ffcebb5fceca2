"""Runs the whole system on one machine: embedded broker, database, LLM server, workers, API.

Every stage is a real `kcall worker` process (as in production); this module only starts
them with the endpoints in their environment, waits until each is ready, and stops them
(SIGTERM, so each finishes its batch, commits and leaves its group) on the way out.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from services.broker import kafka_endpoint
from services.broker.probe import free_port
from services.config import Settings
from services.db import seed_world, upgrade
from services.llm import llm_endpoint

__all__ = ["StackEndpoints", "local_stack", "with_database"]

log = logging.getLogger(__name__)

STAGES = ("asr", "agent", "sink", "model")


@dataclass(frozen=True)
class StackEndpoints:
    """Where the running stack can be reached."""

    bootstrap: str
    database_url: str
    llm_base_url: str | None
    api_url: str | None
    run_dir: Path
    settings: Settings


def with_database(settings: Settings, url: str) -> Settings:
    """The same settings on another database."""
    database = settings.database.model_copy(update={"url": url})
    return settings.model_copy(update={"database": database})


@contextmanager
def local_stack(
    settings: Settings,
    *,
    run_dir: Path,
    stages: Sequence[str] = STAGES,
    api: bool = True,
    seed: bool = True,
    ready_timeout_s: float = 240.0,
    api_keys: Mapping[str, list[str]] | None = None,
) -> Iterator[StackEndpoints]:
    """Start everything and yield its endpoints; stop everything on exit, error or Ctrl-C.

    Child logs and readiness files go to `run_dir`; models stay in the shared data dir.
    `api_keys` (key -> scopes, as `KCALL_API_API_KEYS`) replaces the API's settings keys
    for this stack only (a load test's per-run customer keys).
    """
    run_dir = run_dir.resolve()
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    database_url = settings.database_url()
    with ExitStack() as stack:
        bootstrap = stack.enter_context(kafka_endpoint(settings))
        upgrade(database_url)
        if seed:
            _seed(settings, database_url)
        llm_url = stack.enter_context(llm_endpoint(settings)) if settings.llm.enabled else None
        env = _child_env(settings, bootstrap, database_url, llm_url)
        children: list[_Child] = []
        stack.callback(_stop_all, children)
        # Without a model there is no model work: the agent then emits no requests.
        for stage in [s for s in stages if s != "model" or llm_url]:
            children.append(_Child.start(f"worker-{stage}", ["worker", stage], env, run_dir))
        api_url = None
        if api:
            port = free_port()
            api_url = f"http://127.0.0.1:{port}"
            api_env = (
                env if api_keys is None else {**env, "KCALL_API_API_KEYS": json.dumps(api_keys)}
            )
            children.append(
                _Child.start(
                    "api", ["api", "--host", "127.0.0.1", "--port", str(port)], api_env, run_dir
                )
            )
        _wait_ready(children, api_url, ready_timeout_s)
        yield StackEndpoints(bootstrap, database_url, llm_url, api_url, run_dir, settings)


def _seed(settings: Settings, database_url: str) -> None:
    from services.db import make_engine
    from simulator import generate_world

    world = generate_world(seed=settings.simulator.seed, customers=settings.simulator.customers)
    engine = make_engine(database_url)
    try:
        seed_world(engine, world.billing)
    finally:
        engine.dispose()


def _child_env(
    settings: Settings, bootstrap: str, database_url: str, llm_url: str | None
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "KCALL_KAFKA_BOOTSTRAP": bootstrap,
            "KCALL_DATABASE_URL": database_url,
            "KCALL_PATHS_DATA": str(settings.paths.data.resolve()),
            "KCALL_LLM_ENABLED": "true" if llm_url else "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if llm_url:
        env["KCALL_LLM_BASE_URL"] = llm_url
    return env


@dataclass
class _Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    ready_file: Path | None

    @classmethod
    def start(cls, name: str, args: list[str], env: dict[str, str], run_dir: Path) -> _Child:
        log_path = run_dir / "logs" / f"{name}.log"
        ready_file = None
        if args[0] == "worker":
            ready_file = run_dir / "ready" / f"{name}.ready"
            ready_file.parent.mkdir(parents=True, exist_ok=True)
            ready_file.unlink(missing_ok=True)
            args = [*args, "--ready-file", str(ready_file)]
        command = [sys.executable, "-m", "services.cli", *args]
        with log_path.open("ab") as sink:
            process = subprocess.Popen(
                command, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )
        log.info("started %s (pid %d), log %s", name, process.pid, log_path)
        return cls(name, process, log_path, ready_file)

    def is_ready(self, api_url: str | None) -> bool:
        if self.ready_file is not None:
            return self.ready_file.exists()
        try:
            return httpx.get(f"{api_url}/readyz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def tail(self, limit: int = 3000) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return text[-limit:]


def _wait_ready(children: list[_Child], api_url: str | None, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    pending = list(children)
    while pending:
        for child in list(pending):
            if child.process.poll() is not None:
                raise RuntimeError(
                    f"{child.name} exited with {child.process.returncode} during start-up:\n"
                    f"{child.tail()}"
                )
            if child.is_ready(api_url):
                pending.remove(child)
        if pending and time.monotonic() > deadline:
            names = ", ".join(child.name for child in pending)
            raise TimeoutError(f"not ready after {timeout_s:.0f} s: {names}")
        time.sleep(0.2)


def _stop_all(children: list[_Child], grace_s: float = 20.0) -> None:
    for child in children:
        if child.process.poll() is None:
            os.killpg(child.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for child in children:
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in %.0f s; killing it", child.name, grace_s)
            os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()
