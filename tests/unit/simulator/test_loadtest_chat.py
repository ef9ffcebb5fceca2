"""Chat sessions under open-loop load: messages leave on schedule however slow the replies."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx

from services.schemas import CallInsight, Intent, IntentTier
from simulator import generate_world
from simulator.chat_load import ChatReply, ChatSessions, chat_messages, score_session
from simulator.loadrun import Mode, PlannedCall, SentCall
from simulator.loadtest import Dispatch, LoadMode, Shape, plan_load, run_open_loop
from simulator.loadtest_report import LoadOutcome, build_report

WORLD = generate_world(seed=7, customers=12)
KEYS = {c.customer_id: f"key-{c.customer_id}" for c in WORLD.billing.customers}


class _Pieces(httpx.AsyncByteStream):
    def __init__(self, pieces: list[str], gap_s: float) -> None:
        self._pieces = pieces
        self._gap_s = gap_s

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i, piece in enumerate(self._pieces):
            if i:
                await asyncio.sleep(self._gap_s)
            yield f"data: {piece}\n\n".encode()
        yield b"event: done\ndata: \n\n"


class SlowAssistant(httpx.AsyncBaseTransport):
    """A fake chat API: the first piece after `first_s` (headers wait for it, as the real
    route's do), the rest `gap_s` apart; a customer in `down` gets 503, in `stuck` nothing."""

    def __init__(self, first_s: float, gap_s: float, *, down: str = "", stuck: str = "") -> None:
        self.first_s, self.gap_s, self.down, self.stuck = first_s, gap_s, down, stuck
        self.arrivals: list[tuple[float, str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = request.headers["X-API-Key"]
        text = json.loads(request.content)["text"]
        self.arrivals.append((time.monotonic(), request.url.path, key))
        if key == f"key-{self.down}":
            return httpx.Response(503, json={"error": "unavailable"})
        await asyncio.sleep(3600 if key == f"key-{self.stuck}" else self.first_s)
        stream = _Pieces(["네, 확인해 드릴게요.", text[:10]], self.gap_s)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)


def _chat_plans(n: int) -> list[PlannedCall]:
    plans = plan_load(WORLD, rate=4.0, duration_s=3.0, shape=Shape.POISSON, mode=LoadMode.CHAT,
                      seed=5, auto_credit_limit_krw=5_000)[:n]  # fmt: skip
    assert len(plans) == n and {p.mode for p in plans} == {Mode.CHAT_SESSION}
    return plans


async def _run(
    api: SlowAssistant, plans: list[PlannedCall], *, realtime: float, timeout_s: float = 10.0
) -> tuple[list[Dispatch], list[ChatReply], float]:
    async with httpx.AsyncClient(transport=api, base_url="http://api.test") as client:
        started = time.monotonic()
        sessions = ChatSessions(
            client, KEYS, started=started, realtime=realtime, timeout_s=timeout_s
        )
        dispatches = await run_open_loop(plans, sessions.play, started=started)
        return dispatches, sessions.replies, started


def test_messages_leave_on_schedule_while_slow_replies_still_stream() -> None:
    plans = _chat_plans(4)
    api = SlowAssistant(first_s=1.0, gap_s=0.3)
    # Twenty times real speed: a session's messages come a fraction of a second apart,
    # well inside one reply's 1.3 s, so a closed loop would fall seconds behind.
    dispatches, replies, started = asyncio.run(_run(api, plans, realtime=20.0))

    expected = sum(len(chat_messages(p, realtime=20.0)) for p in plans)
    assert len(replies) == len(api.arrivals) == expected
    assert all(d.error is None for d in dispatches)
    assert max(abs(d.slip_s) for d in dispatches) < 0.2
    assert max(reply.slip_s for reply in replies) < 0.2, "no message waited for a reply"
    for reply in replies:
        assert reply.error is None and reply.status == 200
        assert reply.first_piece_ms is not None and reply.full_reply_ms is not None
        assert 950 <= reply.first_piece_ms < reply.full_reply_ms
        assert reply.full_reply_ms - reply.first_piece_ms >= 250  # the second piece's gap
        assert reply.chars > 0
    # Sessions overlap: a later session's first message went out before an earlier
    # session's replies had ended.
    first_sent = sorted(min(r.sent_at_s for r in replies if r.session_id == p.call.call_id)
                        for p in plans)  # fmt: skip
    assert first_sent[-1] - first_sent[0] < 1.3
    assert {path for _, path, _ in api.arrivals} == {
        f"/v1/chat/{p.call.call_id}/messages" for p in plans
    }


def test_failed_replies_are_counted_by_kind_and_do_not_stop_the_run() -> None:
    plans = _chat_plans(3)
    down, stuck = plans[0].call.customer_id, plans[1].call.customer_id
    assert len({down, stuck, plans[2].call.customer_id}) == 3
    api = SlowAssistant(first_s=0.05, gap_s=0.01, down=down, stuck=stuck)
    _, replies, _ = asyncio.run(_run(api, plans, realtime=0.0, timeout_s=0.5))

    kinds: dict[str, set[str | None]] = {}
    for reply in replies:
        kinds.setdefault(reply.session_id, set()).add(reply.error_kind)
    assert kinds[plans[0].call.call_id] == {"5xx"}
    assert kinds[plans[1].call.call_id] == {"timeout"}
    assert kinds[plans[2].call.call_id] == {None}


def test_a_customer_without_a_key_fails_its_session_only() -> None:
    plans = _chat_plans(2)
    keys = {plans[1].call.customer_id: KEYS[plans[1].call.customer_id]}

    async def run() -> list[Dispatch]:
        api = SlowAssistant(first_s=0.01, gap_s=0.0)
        async with httpx.AsyncClient(transport=api, base_url="http://api.test") as client:
            sessions = ChatSessions(client, keys, started=time.monotonic(), realtime=0.0)
            return await run_open_loop(plans, sessions.play)

    first, second = asyncio.run(run())
    if plans[0].call.customer_id != plans[1].call.customer_id:
        assert first.error is not None and "no customer-bound chat key" in first.error
    assert second.error is None


def _insight(call_id: str, seq: int, intent: Intent, *, churn: bool = False) -> CallInsight:
    return CallInsight(call_id=call_id, utterance_seq=seq, intent=intent, intent_confidence=0.9,
                       intent_tier=IntentTier.FAST, churn_flag=churn,
                       churn_score=0.9 if churn else 0.1)  # fmt: skip


def test_sessions_are_scored_from_their_insights_and_reported_per_reply() -> None:
    plans = _chat_plans(2)
    truth = plans[0].call.truth
    thread = "chat-" + plans[0].call.call_id
    insights = [_insight(thread, 1, truth.primary_intent), _insight(thread, 0, Intent.OTHER)]
    ok = [ChatReply(plans[0].call.call_id, i, 0.5 * i, 0.5 * i + 0.01, 40.0 + i, 90.0 + i, 200)
          for i in range(2)]  # fmt: skip
    failed = ChatReply(plans[1].call.call_id, 0, 1.0, 1.2, status=503, error="http 503: down")
    result = score_session(SentCall(plans[0]), insights, ok)
    assert result.completed and result.found_intent is truth.primary_intent
    assert result.churn_flagged is False
    assert not score_session(SentCall(plans[1]), [], [failed]).completed

    report = build_report(
        LoadOutcome(
            config={"duration_s": 3.0, "mode": "chat"},
            dispatches=[Dispatch(p, p.start_at_s, SentCall(p)) for p in plans],
            results=[result],
            completed_at_s={plans[0].call.call_id: 2.0},
            samples=[],
            chat=[*ok, failed],
        )
    )
    chat = report["chat"]
    assert chat["messages"] == 3 and chat["replies_ok"] == 2 and chat["errors"] == {"5xx": 1}
    assert chat["message_slip_s"]["max"] == 0.2
    assert report["latency_ms"]["chat message→first piece"]["count"] == 2
    assert report["latency_ms"]["chat message→full reply"]["max"] == 91.0
    assert report["accuracy"]["intent_accuracy"] == 1.0
    windows = report["latency_over_time_ms"]["chat message→full reply"]
    assert [w["count"] for w in windows] == [2]
