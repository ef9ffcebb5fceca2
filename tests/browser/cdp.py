"""Headless Chromium driven over the DevTools protocol on a pipe (stdlib only).

The tests wait in real time for the page to mark itself done (`body[data-done]`) and then
read the DOM or take a screenshot. A virtual-time budget (`--dump-dom`) was tried first: on
a starved machine it sometimes ended while the page still had a stream to read.
"""

from __future__ import annotations

import base64
import json
import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any

__all__ = ["Browser"]

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)


class Browser:
    """One Chromium process with one page; use as a context manager."""

    def __init__(self, chromium: str, profile: Path, *, timeout_s: float = 120.0) -> None:
        self._timeout_s = timeout_s
        # Chromium reads commands on fd 3 and writes replies on fd 4. A shell moves our pipe
        # ends there (bash: dash takes single-digit fds only), so no pre-exec hook runs in
        # this threaded process.
        profile.mkdir(parents=True, exist_ok=True)
        self._log = profile / "chromium.log"
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        command = [
            "/bin/bash", "-c", f'exec "$@" 3<&{to_browser_r} 4>&{from_browser_w}', "chromium",
            chromium, *_FLAGS, f"--user-data-dir={profile}", "about:blank",
        ]
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(  # noqa: S603 - fixed argv, test only
                command,
                pass_fds=(to_browser_r, from_browser_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self._session = ""

    def __enter__(self) -> Browser:
        try:
            targets = self._call("Target.getTargets")["targetInfos"]
            page = next(t for t in targets if t["type"] == "page")
            attached = self._call(
                "Target.attachToTarget", targetId=page["targetId"], flatten=True
            )
        except BaseException:
            self.__exit__()
            raise
        self._session = attached["sessionId"]
        return self

    def __exit__(self, *_: object) -> None:
        try:
            self._call("Browser.close", session=False)
        except (OSError, RuntimeError, TimeoutError):
            pass  # already gone; the wait below reaps it
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=30)
        os.close(self._to_browser)
        os.close(self._from_browser)

    def open_until_done(self, url: str, *, width: int = 1280, height: int = 900) -> None:
        """Load `url` and wait until the page sets `body[data-done]`."""
        self._call(
            "Emulation.setDeviceMetricsOverride",
            width=width, height=height, deviceScaleFactor=1, mobile=False,
        )
        self._call("Page.navigate", url=url)
        deadline = time.monotonic() + self._timeout_s
        while self.evaluate("!!(document.body && document.body.dataset.done)") is not True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the page did not finish within {self._timeout_s:.0f} s")
            time.sleep(0.2)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        reply = self._call("Runtime.evaluate", expression=expression, returnByValue=True)
        return reply["result"].get("value")

    def dom(self) -> str:
        """The page's serialized DOM, as `--dump-dom` prints it."""
        return str(self.evaluate("document.documentElement.outerHTML"))

    def screenshot(self) -> bytes:
        """A PNG of the viewport."""
        return base64.b64decode(self._call("Page.captureScreenshot", format="png")["data"])

    def _call(self, method: str, *, session: bool = True, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session and self._session:
            message["sessionId"] = self._session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self._timeout_s
        while True:
            reply = self._read(deadline)
            if reply.get("id") != self._next_id:
                continue  # an event, or a late reply to an earlier call
            if "error" in reply:
                raise RuntimeError(f"{method}: {reply['error']}")
            result: dict[str, Any] = reply["result"]
            return result

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError(f"chromium exited: {self._stderr_tail()}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        decoded: dict[str, Any] = json.loads(message)
        return decoded

    def _stderr_tail(self) -> str:
        return self._log.read_bytes()[-2000:].decode(errors="replace")
