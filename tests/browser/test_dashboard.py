"""The dashboard in headless Chromium: the key from ?key= reaches the API, the page renders
the server-sent snapshots as they change, and a screenshot shows a drawn page.

The page is served by uvicorn on a free loopback port with fake backends. For a headless
check the page reads `?rounds=R` streams of `?events=N` snapshots, stops and marks itself
done; the tests drive Chromium over the DevTools protocol and wait for that mark in real
time, so a starved machine only makes them slower. (The stream's own pacing, several
snapshots on one connection, is tested over HTTP in test_api_views.)
"""

from __future__ import annotations

import shutil
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from services.broker.probe import free_port
from services.privacy import PiiVault
from tests.browser.cdp import Browser
from tests.fixtures.api import FakeBackends, FakeReadModel, fake_app

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
APPROVAL = {
    "approval_id": "apr-7",
    "call_id": "call-0001",
    "customer_id": "C00001",
    "amount_krw": 45000,
    "status": "pending",
    "decided_by": None,
}


CHAT = {
    "call_id": "chat-77",
    "customer_id": "C00003",
    "source": "chat",
    "status": "active",
    "intent": "plan_change",
    "churn_score": None,
    "churn_flag": False,
    "dispute_outcome": None,
    "summary_headline": "요금제 변경 문의",
    "summary_revision": 0,
    "summary_source": "rules",
}


class _ChangingReadModel(FakeReadModel):
    """The approval queue is empty at the first snapshot and holds apr-7 from the second."""

    def __init__(self) -> None:
        super().__init__()
        self.calls.append(CHAT)
        self.calls[1] |= {"summary_revision": 1, "summary_source": "model"}
        self.snapshots = 0
        self.waiting = [{"handoff_id": "h-1", "call_id": "call-0002", "customer_id": "C00002",
                         "reason": "customer_request", "reason_label": "고객 요청",
                         "requested_at": "2025-03-14T09:30:00+00:00", "status": "waiting",
                         "claimed_by": None}]
        self.flags = [
            {
                "call_id": "call-0002",
                "customer_id": "C00002",
                "score": 0.82,
                "signals": [{"name": "competitor", "weight": 0.4, "evidence": "다른 통신사"}],
            }
        ]

    def pending_approvals(self) -> list[dict[str, Any]]:
        self.snapshots += 1
        return [] if self.snapshots == 1 else [APPROVAL]

    def call_view(self, call_id: str) -> dict[str, Any] | None:
        view = super().call_view(call_id)
        if view is not None and call_id == "call-0002":
            view["summary"] = _summary()
        return view


VAULT = PiiVault(bytes(range(32)))


def _summary() -> dict[str, Any]:
    """call-0002's digest as the sink stores it: the phone sealed for customer C00002."""
    return {
        "headline": "해지 문의 통화입니다. 이탈 위험이 높습니다.",
        "summary": "해지 문의",
        "tags": ["해지", "이탈 위험"],
        "sections": [{"topic": "해지", "text": "고객이 해지를 문의하였습니다."}],
        "items": {
            "dates": [{"value": "2026-12-08", "seq": 1}],
            "amounts": [{"krw": 55000, "seq": 2}],
            "identifiers": [{"kind": "phone", "masked": "010-****-6789", "seq": 0,
                             "sealed": VAULT.seal("phone", "010-2345-6789")}],
            "actions": [{"owner": "agent", "action": "callback", "due": None,
                         "text": "상담사: 다시 연락", "seq": 3}],
        },
    }


@pytest.fixture
def served() -> Iterator[tuple[str, _ChangingReadModel]]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    read_model = _ChangingReadModel()
    app, _ = fake_app(FakeBackends(read_model=read_model, vault=VAULT))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="dashboard-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/dashboard", read_model
    finally:
        server.should_exit = True
        thread.join(10)


def _dom(url: str, profile: Path) -> str:
    with Browser(CHROMIUM, profile) as browser:
        browser.open_until_done(url)
        return browser.dom()


def _table(dom: str, table_id: str) -> str:
    return dom.split(f'<table id="{table_id}">', 1)[1].split("</table>", 1)[0]


def test_snapshots_stream_in_and_the_page_follows_them(
    served: tuple[str, _ChangingReadModel], tmp_path: Path
) -> None:
    url, read_model = served
    dom = _dom(f"{url}?key=super-key&events=1&rounds=3", tmp_path / "p")
    calls = _table(dom, "calls")
    assert "<td>call-0002</td><td>C00002</td><td>cancellation</td>" in calls
    assert '<td class="flag">0.82</td>' in calls  # flagged churn is highlighted
    headline = '<td>소액결제 중복 청구 3,300원 환급<span class="rev">1판 · 모델</span></td>'
    assert "<td>credit_issued</td>" + headline in calls
    # Chat sessions are listed apart from calls.
    assert "chat-77" not in calls
    chats = _table(dom, "chats")
    assert "<td>chat-77</td><td>C00003</td><td>plan_change</td><td>active</td>" in chats
    assert '요금제 변경 문의<span class="rev">0판 · 규칙</span>' in chats
    assert "<td>competitor: 다른 통신사</td>" in _table(dom, "churn")
    assert "<td>call-0002</td><td>C00002</td><td>고객 요청</td>" in _table(dom, "handoffs")
    assert '<b id="handoff-count">1</b>' in dom
    # The queue was empty at the first snapshot; the page shows the later ones.
    assert read_model.snapshots == 3
    approvals = _table(dom, "approvals")
    assert "<td>apr-7</td><td>call-0001</td><td>C00001</td><td>45,000</td><td>pending</td>" in (
        approvals
    )
    assert 'class="approve">승인</button>' in approvals
    assert '<b id="approval-count">1</b>' in dom
    assert '<span id="status" class="muted">갱신 ' in dom


def test_a_key_without_the_approvals_scope_sees_calls_but_no_queue(
    served: tuple[str, _ChangingReadModel], tmp_path: Path
) -> None:
    url, _ = served
    dom = _dom(f"{url}?key=reader-key&events=1", tmp_path / "p")
    assert "<td>call-0001</td>" in _table(dom, "calls")
    assert '<b id="approval-count">권한 없음</b>' in dom


def test_on_first_load_without_a_key_the_page_asks_for_one(
    served: tuple[str, _ChangingReadModel], tmp_path: Path
) -> None:
    url, read_model = served
    with Browser(CHROMIUM, tmp_path / "p") as browser:
        browser.open_until_done(f"{url}?events=1")
        dom = browser.dom()
        focused = browser.evaluate("document.activeElement.id")
    assert '<span id="key-hint">API 키를 입력하고 저장을 눌러 주세요.</span>' in dom
    assert "API 키가 필요합니다." in dom
    assert focused == "key"
    assert read_model.snapshots == 0  # nothing was asked of the API
    assert "call-0002" not in dom.split("<script>", 1)[0]


def test_a_wrong_key_shows_the_refusal_and_no_data(
    served: tuple[str, _ChangingReadModel], tmp_path: Path
) -> None:
    url, _ = served
    dom = _dom(f"{url}?key=wrong-key&events=1", tmp_path / "p")
    assert "오류: /v1/dashboard/stream 401" in dom
    assert "call-0002" not in dom.split("<script>", 1)[0]


def _detail(dom: str) -> str:
    return dom.split('<section id="detail">', 1)[1].split("</section>", 1)[0]


def test_a_call_opens_its_digest_with_numbers_masked_for_staff(
    served: tuple[str, _ChangingReadModel], tmp_path: Path
) -> None:
    url, _ = served
    detail = _detail(_dom(f"{url}?key=super-key&events=1&call=call-0002", tmp_path / "p"))
    assert "<h2>통화 call-0002 요약</h2>" in detail
    assert '해지 문의 통화입니다. 이탈 위험이 높습니다.<span class="tag">해지</span>' in detail
    assert "<li>해지: 고객이 해지를 문의하였습니다.</li>" in detail
    assert "<li>2026-12-08</li>" in detail and "<li>55,000원</li>" in detail
    assert "<li>전화번호 010-****-6789</li>" in detail
    assert "<li>상담사: 다시 연락</li>" in detail
    assert "2345" not in detail


def test_the_calls_own_customer_reads_the_number_and_another_does_not(
    served: tuple[str, _ChangingReadModel], tmp_path: Path
) -> None:
    url, _ = served
    own = _detail(_dom(f"{url}?key=chat2-key&events=1&call=call-0002", tmp_path / "a"))
    assert "<li>전화번호 010-2345-6789 (본인)</li>" in own
    other = _detail(_dom(f"{url}?key=chat-key&events=1&call=call-0002", tmp_path / "b"))
    assert "오류: 통화 call-0002 404" in other and "2345" not in other


def test_hangul_renders_as_glyphs_not_boxes(
    served: tuple[str, _ChangingReadModel], tmp_path: Path
) -> None:
    """Without a CJK font every syllable is drawn as the same empty box (tofu), so two
    different syllables drawn in the page's font give the same pixels."""
    url, _ = served
    with Browser(CHROMIUM, tmp_path / "p") as browser:
        browser.open_until_done(f"{url}?key=super-key&events=1")
        drawn = browser.evaluate(_DRAW_SYLLABLES)
    ink = {text: sum(1 for alpha in pixels if alpha) for text, pixels in drawn.items()}
    assert all(count > 20 for count in ink.values()), ink  # something was drawn
    assert drawn["가"] != drawn["나"], "Hangul syllables render alike: no CJK font"
    assert drawn["가"] != drawn["상담"]


# Draws each string in the body's font on a canvas and returns its alpha channel.
_DRAW_SYLLABLES = """(() => {
  const font = "32px " + getComputedStyle(document.body).fontFamily;
  const out = {};
  for (const text of ["가", "나", "상담"]) {
    const canvas = document.createElement("canvas"); canvas.width = 80; canvas.height = 48;
    const ctx = canvas.getContext("2d"); ctx.font = font; ctx.fillText(text, 4, 36);
    const data = ctx.getImageData(0, 0, 80, 48).data;
    out[text] = Array.from(data.filter((_, i) => i % 4 === 3));
  }
  return out;
})()"""


def test_screenshot_of_the_live_page_is_drawn(
    served: tuple[str, _ChangingReadModel], tmp_path: Path
) -> None:
    url, _ = served
    with Browser(CHROMIUM, tmp_path / "p") as browser:
        browser.open_until_done(f"{url}?key=super-key&events=1", width=1280, height=900)
        shot = browser.screenshot()
    width, height, pixels = _png(shot)
    assert (width, height) == (1280, 900)
    # A drawn page: many distinct byte values (text, table lines, coloured buttons), not a
    # blank or single-colour frame.
    assert len(set(pixels)) > 32
    assert pixels.count(255) < len(pixels) * 0.995


def _png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and the inflated scanlines of a PNG (stdlib only)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, width, height, idat = 8, 0, 0, b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    return width, height, zlib.decompress(idat)
