"""The embedded LLM server: llama-cpp-python's OpenAI-compatible server as a child process."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import httpx

from services.config.settings import Settings
from services.llm.model import embedded_model_path

__all__ = ["EmbeddedLlmServer", "EmbeddedServerError", "llm_endpoint"]

_LOG = logging.getLogger(__name__)


class EmbeddedServerError(RuntimeError):
    """The embedded server did not start or died."""


class EmbeddedLlmServer:
    """Start `python -m services.llm.serve` on a free loopback port; stop it on exit.

    The child runs in its own session and process group, so a terminal Ctrl-C reaches only
    us and we stop it in order (SIGTERM, then SIGKILL after `stop_timeout_s`); it also
    watches our pid and exits if we die without cleaning up. Requests are served one at a
    time (llama.cpp has one context), queued rather than interrupted.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        port: int | None = None,
        model_path: Path | None = None,
        startup_timeout_s: float = 120.0,
        stop_timeout_s: float = 10.0,
    ) -> None:
        self._settings = settings
        self._port = port
        self._model_path = model_path
        self._startup_timeout_s = startup_timeout_s
        self._stop_timeout_s = stop_timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """The OpenAI API root, e.g. `http://127.0.0.1:40123/v1`."""
        if not self.port:
            raise EmbeddedServerError("the embedded server is not running")
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        """The server process id while it runs."""
        return self._process.pid if self._process else None

    def start(self) -> str:
        """Start the server and wait until `GET /v1/models` answers; return `base_url`."""
        model = self._model_path or embedded_model_path(self._settings)
        self.port = self._port or _free_port()
        logs = (self._settings.paths.data / "logs").resolve()
        logs.mkdir(parents=True, exist_ok=True)
        self.log_path = logs / f"llm-server-{self.port}.log"
        command = self.command(model, self.port)
        _LOG.info("starting embedded LLM server: %s", " ".join(command))
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self.base_url

    def command(self, model: Path, port: int) -> list[str]:
        """The child's command line (llama-cpp-python server flags plus our parent pid)."""
        llm = self._settings.llm
        return [
            sys.executable, "-m", "services.llm.serve",
            "--kcall_parent_pid", str(os.getpid()),
            "--model", str(model),
            "--model_alias", llm.model,
            "--host", "127.0.0.1",
            "--port", str(port),
            "--n_threads", str(llm.embedded_threads),
            "--n_threads_batch", str(llm.embedded_threads),
            "--n_ctx", str(llm.embedded_ctx),
            # Queue concurrent requests instead of cutting a running stream short.
            "--interrupt_requests", "False",
            "--verbose", "False",
            # No `--cache`: its saved states copy the logits buffer (batch x 262k vocabulary
            # floats for Gemma 3) outside the cache's byte budget; tried here, the server
            # grew to 7 GB and each request got slower, not faster.
        ]  # fmt: skip

    def stop(self) -> None:
        """Stop the server's process group; SIGKILL if it does not exit in time."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=self._stop_timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=self._stop_timeout_s)

    def wait(self) -> int:
        """Block until the server exits (foreground `kcall llm serve`); return its exit code."""
        if self._process is None:
            raise EmbeddedServerError("the embedded server is not running")
        return self._process.wait()

    def __enter__(self) -> EmbeddedLlmServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self._startup_timeout_s
        url = f"http://127.0.0.1:{self.port}/v1/models"
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EmbeddedServerError(
                    f"server exited with {self._process.returncode}:\n{self._log_tail()}"
                )
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise EmbeddedServerError(
            f"server not ready after {self._startup_timeout_s:.0f}s:\n{self._log_tail()}"
        )

    def _log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def llm_endpoint(settings: Settings) -> Iterator[str]:
    """Yield the chat server's base URL: `settings.llm.base_url`, or a new embedded server."""
    if settings.llm.base_url:
        yield settings.llm.base_url
        return
    with EmbeddedLlmServer(settings) as server:
        yield server.base_url
