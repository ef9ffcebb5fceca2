"""Assistant chat sessions under open-loop load: each customer message on its schedule.

A planned call becomes a chat session on the API's assistant (`/v1/chat/{session}/messages`,
a server-sent event stream): its customer turns are the messages, sent at the turns' times
on the call's timeline (paced like transcript lines). Every message is its own task, so a
reply still streaming delays neither the session's next message nor any other session; each
reply records its slip, the time to its first streamed piece and to `event: done`, and how
it failed (HTTP status, timeout, a stream cut short).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.schemas import CallInsight, Speaker
from simulator.loadrun import PlannedCall, SentCall, against_truth
from simulator.report import CallResult
from simulator.timeline import text_timeline

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CHAT_PATH",
    "ChatReply",
    "ChatSessions",
    "chat_messages",
    "score_session",
    "session_call_id",
]

CHAT_PATH = "/v1/chat/{session_id}/messages"
# The API names a session's graph thread (and the call id of its insights) like this.
_THREAD_PREFIX = "chat-"


def session_call_id(session_id: str) -> str:
    """The call id under which the assistant publishes a session's insights."""
    return _THREAD_PREFIX + session_id


def chat_messages(plan: PlannedCall, *, realtime: float) -> list[tuple[int, float, str]]:
    """(seq, offset s from the session's start, text) of each customer turn of the call."""
    pace = realtime if realtime > 0 else float("inf")
    customer = [s for s in text_timeline(plan.call) if s.speaker is Speaker.CUSTOMER]
    return [(i, s.end_ms / 1000 / pace, s.text) for i, s in enumerate(customer)]


@dataclass(frozen=True)
class ChatReply:
    """One message of a session and its streamed reply (times in s from the run's start)."""

    session_id: str
    seq: int
    planned_at_s: float
    sent_at_s: float
    first_piece_ms: float | None = None
    full_reply_ms: float | None = None
    status: int | None = None
    error: str | None = None
    chars: int = 0

    @property
    def slip_s(self) -> float:
        """How late the message left against its plan."""
        return self.sent_at_s - self.planned_at_s

    @property
    def error_kind(self) -> str | None:
        """'4xx', '5xx', 'timeout' or 'other' for a failed reply."""
        if self.error is None:
            return None
        if self.status is not None and self.status >= 400:
            return f"{self.status // 100}xx"
        return "timeout" if self.error.startswith("timeout") else "other"


class ChatSessions:
    """Plays planned sessions against the API with one customer-bound key per customer.

    Args:
        client: An httpx client whose base URL is the API.
        keys: customer id -> a key bound to that customer with the `chat` scope.
        started: The run's start on `clock`.
        realtime: Pace of the messages against the call's timeline (0: all at once).
        timeout_s: The longest wait for a whole reply.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        keys: Mapping[str, str],
        *,
        started: float,
        realtime: float,
        timeout_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._keys = dict(keys)
        self._started = started
        self._realtime = realtime
        self._timeout_s = timeout_s
        self._clock = clock
        self.replies: list[ChatReply] = []

    async def play(self, plan: PlannedCall) -> SentCall:
        """Send the session's messages on schedule; returns when every reply has ended."""
        key = self._keys.get(plan.call.customer_id)
        if key is None:
            raise LookupError(f"no customer-bound chat key for {plan.call.customer_id}")
        sent = SentCall(plan)
        session_start = self._started + plan.start_at_s
        tasks: list[asyncio.Task[ChatReply]] = []
        for seq, offset_s, text in chat_messages(plan, realtime=self._realtime):
            delay = session_start + offset_s - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
            sent.utterance_sent[seq] = self._clock()
            planned = plan.start_at_s + offset_s
            tasks.append(asyncio.create_task(self._ask(plan.call.call_id, seq, planned, text, key)))
        for reply in await asyncio.gather(*tasks):
            self.replies.append(reply)
        sent.ended_at = self._clock()
        return sent

    async def _ask(
        self, session_id: str, seq: int, planned_at_s: float, text: str, key: str
    ) -> ChatReply:
        import httpx

        begun = self._clock()
        base = ChatReply(session_id, seq, planned_at_s, round(begun - self._started, 4))
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._stream(base, begun, text, key)
        except TimeoutError:
            return _failed(base, None, f"timeout after {self._timeout_s:g} s")
        except httpx.TimeoutException as exc:
            return _failed(base, None, f"timeout: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return _failed(base, None, f"{type(exc).__name__}: {exc}"[:200])

    async def _stream(self, base: ChatReply, begun: float, text: str, key: str) -> ChatReply:
        path = CHAT_PATH.format(session_id=base.session_id)
        headers = {"X-API-Key": key, "Accept": "text/event-stream"}
        async with self._client.stream("POST", path, json={"text": text}, headers=headers) as r:
            if r.status_code >= 400:
                body = (await r.aread()).decode(errors="replace")
                return _failed(base, r.status_code, f"http {r.status_code}: {body[:160]}")
            first: float | None = None
            chars = 0
            event = "message"
            async for line in r.aiter_lines():
                if line.startswith("event:"):
                    event = line.removeprefix("event:").strip()
                    if event == "done":
                        return _done(base, r.status_code, begun, first, self._clock(), chars)
                elif line.startswith("data:") and event != "done":
                    first = self._clock() if first is None else first
                    chars += len(line.removeprefix("data:").removeprefix(" "))
                elif not line:
                    event = "message"
            return _failed(base, r.status_code, "stream ended without event: done")


def _done(
    base: ChatReply, status: int, begun: float, first: float | None, end: float, chars: int
) -> ChatReply:
    first_ms = None if first is None else round((first - begun) * 1000, 2)
    return ChatReply(
        base.session_id,
        base.seq,
        base.planned_at_s,
        base.sent_at_s,
        first_ms,
        round((end - begun) * 1000, 2),
        status,
        None,
        chars,
    )


def _failed(base: ChatReply, status: int | None, error: str) -> ChatReply:
    return ChatReply(
        base.session_id, base.seq, base.planned_at_s, base.sent_at_s, status=status, error=error
    )


def score_session(
    sent: SentCall, insights: Sequence[CallInsight], replies: Sequence[ChatReply]
) -> CallResult:
    """A session's ground truth beside what the assistant's insights concluded.

    The session counts as completed when every reply ended; its latencies are reported per
    reply (ChatReply), not here.
    """
    ordered = sorted(insights, key=lambda insight: insight.utterance_seq)
    disputes = [insight.dispute for insight in ordered if insight.dispute]
    return against_truth(
        sent.planned, ordered, disputes[-1] if disputes else None,
        completed=bool(replies) and all(reply.error is None for reply in replies),
    )
