"""AssistantChat on the agent graph: one graph thread per chat session, on the chat channel.

The session's thread is opened with `source="chat"`, so every tool call in it runs with
the chat channel's permissions and limits (agents.tools: a credit above
`chat_credit_limit_krw` goes to a supervisor instead). Those limits live in the graph's
code; nothing here or in a prompt can lift them. Chat threads are named `chat-<session>`
and the call-ingestion routes refuse that prefix, so a session can never be turned into
a voice call (whose limits are higher) or the other way round.

The graph runs without a model (like a call's live path), so a reply worded by code (a
bill, a cited policy, a dispute, a refusal) never waits for one. Only a general answer
is worded by the model, streamed token by token as it comes and released word by word
through `agents.chat_wording` checks; a stall or a failed check falls back to the FAQ
text.
"""

from __future__ import annotations

import logging
import re
import threading
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

import anyio

from agents.approvals import ApprovalGraph, open_approval
from agents.chat_wording import StreamedWording, WordingRejected
from agents.faq import retrieve
from agents.graph import AgentContext, AgentGraph, call_state, handle_utterance, start_call
from agents.prompts.chat import CHAT_STREAM_SYSTEM, chat_user
from services.api.answers import (
    REFUSAL,
    PolicyIndex,
    bill_answer,
    cited_answer,
    faq_passages,
    looks_like_injection,
)
from services.api.wording import ReplyReset, WordingStream
from services.llm import LlmError
from services.schemas import (
    CallInsight,
    CallStarted,
    HandoffRequested,
    Intent,
    Speaker,
    Utterance,
)

__all__ = ["CHAT_THREAD_PREFIX", "GraphAssistant", "chat_thread_id"]

log = logging.getLogger(__name__)

CHAT_THREAD_PREFIX = "chat-"
_LOCK_STRIPES = 64
_SENTENCE_END = re.compile(r"(?<=[.?!。])\s+")
_NOT_YOURS = "이 대화는 다른 고객의 세션입니다 (session belongs to another customer)"
_NO_REPLY = "말씀하신 내용을 확인했어요. 조금 더 자세히 말씀해 주시겠어요?"

# A passage must score at least this (BM25 over morpheme features) to be quoted.
_MIN_POLICY_SCORE = 12.0
_POLICY_INTENTS = frozenset(
    {
        Intent.PLAN_CHANGE,
        Intent.PAYMENT,
        Intent.CONTRACT_DISCOUNT,
        Intent.ROAMING,
        Intent.DATA_USAGE,
        Intent.DEVICE,
        Intent.NETWORK_QUALITY,
        Intent.VALUE_ADDED_SERVICE,
        Intent.MICROPAYMENT,
        Intent.ACCOUNT_CHANGE,
        Intent.OTHER,
    }
)

InsightSink = Callable[[CallInsight], None]
HandoffSink = Callable[[HandoffRequested], None]


@dataclass(frozen=True)
class _Turn:
    """The graph's decision for one message: the rules' reply, and what the model may word."""

    thread: str
    question: str
    reply: str
    passages: list[str] = field(default_factory=list)  # empty: the reply is final


def chat_thread_id(session_id: str) -> str:
    """The graph thread (and call id) of a chat session."""
    return CHAT_THREAD_PREFIX + session_id


class GraphAssistant:
    """Runs each chat message through the graph in a worker thread and streams the reply.

    Args:
        graph: The compiled call graph (with its checkpointer).
        approval_graph: The approval graph on the same checkpointer: a chat dispute above
            the chat's limit waits there for a supervisor.
        context: Ports and limits, as built by `pipelines.bootstrap.build_agent_runtime`.
        on_insight: Where the turn's insight goes (the API publishes it to the insights
            topic, so chat churn flags and disputes reach the database like calls do).
        on_handoff: Where the session's handoff to a human agent goes (the API publishes it
            to the handoffs topic, whose sink puts it in the agents' queue).
        policies: Retrieval over the policy/FAQ documents (default: agents.faq).
        wording: The model that words general answers, streamed (None: the FAQ text).

    The graph decides every turn; the reply is then worded from code where it can be
    (services.api.answers): bill questions get the customer's own invoice lines and their
    sum, policy questions the cited passage, attempts to instruct the assistant a refusal.
    A turn with a dispute, a churn signal or a handoff keeps the graph's own reply (a
    handoff's is the polite notice from agents.policies.handoff).
    """

    def __init__(
        self,
        graph: AgentGraph,
        context: AgentContext,
        *,
        approval_graph: ApprovalGraph,
        on_insight: InsightSink | None = None,
        on_handoff: HandoffSink | None = None,
        policies: PolicyIndex | None = None,
        wording: WordingStream | None = None,
    ) -> None:
        self._graph = graph
        self._approval_graph = approval_graph
        self._context = context
        self._on_insight = on_insight
        self._on_handoff = on_handoff
        self._wording = wording
        self._policies = policies or PolicyIndex(faq_passages())
        # Two messages of one session must not run at once (both would take the same seq);
        # striped locks bound the memory whatever the number of sessions.
        self._locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]

    async def reply(self, *, session_id: str, customer_id: str, text: str) -> AsyncIterator[str]:
        """Stream the reply; `text` is already redacted.

        A reply from code comes sentence by sentence at once; model wording comes word by
        word as the model produces it. A `ReplyReset` piece replaces what came before it.

        Raises:
            ValueError: the session belongs to another customer.
        """
        turn = await anyio.to_thread.run_sync(self._turn, session_id, customer_id, text)
        if turn.passages and self._wording is not None:
            async for piece in self._streamed(turn, self._wording):
                yield piece
            return
        for piece in _sentences(turn.reply):
            yield piece

    async def _streamed(self, turn: _Turn, wording: WordingStream) -> AsyncIterator[str]:
        guard = StreamedWording(passages=turn.passages, question=turn.question)
        deltas = wording.stream(
            system=CHAT_STREAM_SYSTEM,
            user=chat_user(question=turn.question, passages=turn.passages),
            call_id=turn.thread,
        )
        reason: str | None = None
        try:
            async with aclosing(deltas):
                async for delta in deltas:
                    words = guard.feed(delta)
                    if words:
                        yield words
            tail = guard.finish()
            if tail:
                yield tail
        except WordingRejected as exc:
            reason = exc.reason
        except LlmError as exc:
            reason = type(exc).__name__
        await anyio.to_thread.run_sync(self._audit_wording, turn.thread, reason)
        if reason is None:
            return
        if guard.released:
            yield ReplyReset(turn.reply)
        else:
            for piece in _sentences(turn.reply):
                yield piece

    def _audit_wording(self, thread: str, reason: str | None) -> None:
        # Tokens are counted by the client's usage ledger; this records the decision.
        self._context.audit.record(
            call_id=thread,
            actor="model:chat",
            action="reply" if reason is None else "rejected",
            detail={} if reason is None else {"reason": reason},
        )

    def session(self, *, session_id: str, customer_id: str) -> dict[str, Any] | None:
        """The session's recent turns (redacted), disputes and credits, for its customer.

        None when the session does not exist or belongs to another customer.
        """
        state = call_state(self._graph, chat_thread_id(session_id))
        if not state.get("customer_id") or state.get("customer_id") != customer_id:
            return None
        return {
            "session_id": session_id,
            "turns": len(state.get("processed_seqs", [])),
            "messages": [
                {"seq": u["seq"], "speaker": u["speaker"], "text": u["text"]}
                for u in state.get("utterances", [])
            ],
            "disputes": [
                {
                    "rule": d["rule"],
                    "outcome": d["outcome"],
                    "amount_krw": d["amount_krw"],
                    "invoice_id": d["invoice_id"],
                }
                for d in state.get("disputes", [])
            ],
            "credited_krw": state.get("credited_krw", 0),
        }

    def _turn(self, session_id: str, customer_id: str, text: str) -> _Turn:
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
            if result.approval is not None:
                open_approval(self._approval_graph, self._context, result.approval)
            earlier = state.get("handoff")
        if result.insight is not None and self._on_insight is not None:
            try:
                self._on_insight(result.insight)
            except Exception:  # the customer already has the answer; the record is extra
                log.exception("chat insight of %s not published", thread)
        handoff = result.handoff or (HandoffRequested.model_validate(earlier) if earlier else None)
        if handoff is not None and self._on_handoff is not None:
            # Published before the reply goes out: the notice promises an agent, so the
            # request must be queued (a failure is a 503). Later turns send it again (same
            # id, the sink keeps one), so a lost first send is repaired by the next message.
            self._on_handoff(handoff)
        if result.handoff is not None:
            return _Turn(thread=thread, question=text, reply=result.reply or _NO_REPLY)
        return self._worded(thread, customer_id, text, result.insight, result.reply or _NO_REPLY)

    def _worded(
        self, thread: str, customer_id: str, text: str, insight: CallInsight | None, reply: str
    ) -> _Turn:
        final = _Turn(thread=thread, question=text, reply=reply)
        if insight is None or insight.dispute is not None or insight.churn_flag:
            return final
        if looks_like_injection(text):
            return _Turn(thread=thread, question=text, reply=REFUSAL)
        if insight.intent is Intent.BILLING_INQUIRY:
            bill = bill_answer(self._context.billing.invoices(customer_id, limit=3), text)
            return _Turn(thread=thread, question=text, reply=bill) if bill else final
        if insight.intent in _POLICY_INTENTS:
            hits = self._policies.search(text, k=1)
            if hits and hits[0].score >= _MIN_POLICY_SCORE:
                return _Turn(thread=thread, question=text, reply=cited_answer(hits[0]))
            # No passage to quote as it stands: the model may word the closest FAQ entries.
            passages = [entry.answer for entry in retrieve(text, intent=insight.intent, k=2)]
            return _Turn(thread=thread, question=text, reply=reply, passages=passages)
        return final


def _sentences(text: str) -> list[str]:
    return [piece for piece in _SENTENCE_END.split(text) if piece]
