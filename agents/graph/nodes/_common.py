"""Helpers the nodes share: tools for this call, notes, and guarded model calls."""

from __future__ import annotations

import time
from datetime import date
from typing import TypeVar

from pydantic import BaseModel

from agents.graph.context import AgentContext
from agents.graph.state import CallState, NoteRecord
from agents.ports import ModelUnavailable
from agents.tools import CreditLimits, ToolChannel, Tools

ModelT = TypeVar("ModelT", bound=BaseModel)
_SENTENCE_ENDS = (".", "!", "?", "다", "요", "。")


def today(context: AgentContext) -> date:
    """The business date (UTC) of the injected clock."""
    return context.clock.now().date()


def channel_of(state: CallState) -> ToolChannel:
    """The permission channel: the public chat or the call-center voice agent."""
    return ToolChannel.CHAT if state.get("source") == "chat" else ToolChannel.VOICE


def tools_for(
    context: AgentContext, state: CallState, channel: ToolChannel | None = None
) -> Tools:
    """The permission-checked, audited tools of this call."""
    channel = channel or channel_of(state)
    return Tools(
        billing=context.billing, ledger=context.ledger, approvals=context.approvals,
        audit=context.audit, call_id=state.get("call_id", ""), channel=channel,
        limits=CreditLimits.for_channel(context.limits, channel), today=today(context),
        credited_krw=state.get("credited_krw", 0),
    )


def ends_a_sentence(text: str) -> bool:
    """Whether model text ends like a finished Korean sentence, not cut at a length cap."""
    return text.rstrip().endswith(_SENTENCE_ENDS)


def note(state: CallState, node: str, text: str) -> NoteRecord:
    """An action or fallback record for the current utterance."""
    return NoteRecord(seq=state.get("seq", -1), node=node, text=text)


def ask_model(
    context: AgentContext,
    *,
    call_id: str,
    node: str,
    system: str,
    user: str,
    schema: type[ModelT],
    max_tokens: int = 256,
) -> tuple[ModelT | None, str | None]:
    """A validated model answer, or None with the short reason it could not be used.

    Every attempt is audited with its latency and tokens; `user` must be redacted already.
    """
    if context.chat_model is None:
        return None, "disabled"
    started = time.perf_counter()
    try:
        reply = context.chat_model.structured(
            node=node, system=system, user=user, schema=schema, max_tokens=max_tokens
        )
    except ModelUnavailable as exc:
        context.audit.record(call_id=call_id, actor=f"model:{node}", action="unavailable",
                             detail={"reason": exc.reason},
                             latency_ms=(time.perf_counter() - started) * 1000)
        return None, exc.reason
    context.audit.record(call_id=call_id, actor=f"model:{node}", action="reply",
                         detail={"schema": schema.__name__}, latency_ms=reply.latency_ms,
                         prompt_tokens=reply.prompt_tokens,
                         completion_tokens=reply.completion_tokens)
    if not isinstance(reply.value, schema):
        return None, "schema_mismatch"
    return reply.value, None
