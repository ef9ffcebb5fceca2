"""The dashboard in headless Chromium: the key from ?key= reaches the API, the tables fill.

The page is served by uvicorn on a free loopback port with fake backends; Chromium runs
with a virtual-time budget, so the page's fetches finish before the DOM is dumped.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from services.broker.probe import free_port
from tests.fixtures.api import FakeBackends, fake_app

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def dashboard_url() -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    fakes = FakeBackends()
    fakes.read_model.approvals["apr-7"] = {
        "approval_id": "apr-7",
        "call_id": "call-0001",
        "customer_id": "C00001",
        "amount_krw": 45000,
        "status": "pending",
        "decided_by": None,
    }
    app, _ = fake_app(fakes)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="dashboard-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/dashboard"
    finally:
        server.should_exit = True
        thread.join(10)


def _dump_dom(url: str, profile: Path) -> str:
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=5000",
        "--dump-dom",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_calls_and_approvals_show_with_the_key_from_the_link(
    dashboard_url: str, tmp_path: Path
) -> None:
    dom = _dump_dom(f"{dashboard_url}?key=all-key", tmp_path / "profile")
    calls = dom.split('<table id="calls">', 1)[1].split("</table>", 1)[0]
    approvals = dom.split('<table id="approvals">', 1)[1].split("</table>", 1)[0]
    assert "<td>call-0002</td><td>C00002</td><td>cancellation</td>" in calls
    assert '<td class="flag">0.82</td>' in calls  # flagged churn is highlighted
    assert "<td>credit_issued</td><td>소액결제 중복 청구 3,300원 환급</td>" in calls
    assert "<td>apr-7</td><td>call-0001</td><td>C00001</td><td>45,000</td><td>pending</td>" in (
        approvals
    )
    assert '<span id="status" class="muted">갱신 ' in dom


def test_without_a_key_the_page_says_why_and_shows_nothing(
    dashboard_url: str, tmp_path: Path
) -> None:
    dom = _dump_dom(dashboard_url, tmp_path / "profile")
    assert "오류: /v1/calls?limit=50 401, /v1/approvals 401" in dom
    assert "call-0002" not in dom.split("<script>", 1)[0]
