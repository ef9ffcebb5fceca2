"""AssistantChat on the agent graph: one graph thread per chat session, on the chat channel.

The session's thread is opened with `source="chat"`, so every tool call in it runs with
the chat channel's permissions and limits (agents.tools: a credit above
`chat_credit_limit_krw` goes to a supervisor instead). Those limits live in the graph's
code; nothing here or in a prompt can lift them. Chat threads are named `chat-<session>`
and the call-ingestion routes refuse that prefix, so a session can never be turned into
a voice call (whose limits are higher) or the other way round.
"""

from __future__ import annotations

import logging
import re
import threading
import zlib
from collections.abc import AsyncIterator, Callable

import anyio

from agents.graph import AgentContext, AgentGraph, call_state, handle_utterance, start_call
from services.schemas import CallInsight, CallStarted, Speaker, Utterance

__all__ = ["CHAT_THREAD_PREFIX", "GraphAssistant", "chat_thread_id"]

log = logging.getLogger(__name__)

CHAT_THREAD_PREFIX = "chat-"
_LOCK_STRIPES = 64
_SENTENCE_END = re.compile(r"(?<=[.?!。])\s+")
_NOT_YOURS = "이 대화는 다른 고객의 세션입니다 (session belongs to another customer)"
_NO_REPLY = "말씀하신 내용을 확인했어요. 조금 더 자세히 말씀해 주시겠어요?"

InsightSink = Callable[[CallInsight], None]


def chat_thread_id(session_id: str) -> str:
    """The graph thread (and call id) of a chat session."""
    return CHAT_THREAD_PREFIX + session_id


class GraphAssistant:
    """Runs each chat message through the graph in a worker thread and streams the reply.

    Args:
        graph: The compiled agent graph (with its checkpointer).
        context: Ports and limits, as built by `pipelines.bootstrap.build_agent_runtime`.
        on_insight: Where the turn's insight goes (the API publishes it to the insights
            topic, so chat churn flags and disputes reach the database like calls do).
    """

    def __init__(
        self, graph: AgentGraph, context: AgentContext, *, on_insight: InsightSink | None = None
    ) -> None:
        self._graph = graph
        self._context = context
        self._on_insight = on_insight
        # Two messages of one session must not run at once (both would take the same seq);
        # striped locks bound the memory whatever the number of sessions.
        self._locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]

    async def reply(self, *, session_id: str, customer_id: str, text: str) -> AsyncIterator[str]:
        """Stream the reply sentence by sentence; `text` is already redacted.

        Raises:
            ValueError: the session belongs to another customer.
        """
        answer = await anyio.to_thread.run_sync(self._turn, session_id, customer_id, text)
        for piece in _SENTENCE_END.split(answer):
            if piece:
                yield piece

    def _turn(self, session_id: str, customer_id: str, text: str) -> str:
        thread = chat_thread_id(session_id)
        lock = self._locks[zlib.crc32(thread.encode()) % _LOCK_STRIPES]
        with lock:
            state = call_state(self._graph, thread)
            owner = state.get("customer_id")
            if owner and owner != customer_id:
                raise ValueError(_NOT_YOURS)
            if not owner:
                start_call(
                    self._graph,
                    self._context,
                    CallStarted(call_id=thread, customer_id=customer_id, source="chat"),
                )
            seq = max(state.get("processed_seqs", []), default=-1) + 1
            utterance = Utterance(
                call_id=thread,
                seq=seq,
                speaker=Speaker.CUSTOMER,
                text=text,
                start_ms=0,
                end_ms=0,
                confidence=1.0,
                source="text",
            )
            result = handle_utterance(self._graph, self._context, utterance)
        if result.insight is not None and self._on_insight is not None:
            try:
                self._on_insight(result.insight)
            except Exception:  # the customer already has the answer; the record is extra
                log.exception("chat insight of %s not published", thread)
        return result.reply or _NO_REPLY
