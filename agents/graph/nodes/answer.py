"""Nodes: answer from the policy/FAQ table, and the churn path's retention guidance."""

from __future__ import annotations

import re

from langgraph.runtime import Runtime

from agents.faq import answer_for, retrieve
from agents.graph.context import AgentContext
from agents.graph.nodes._common import ask_model, note
from agents.graph.state import CallState
from agents.prompts.chat import CHAT_SYSTEM, ChatReply, chat_user
from services.schemas import Intent

_FALLBACK_ANSWER = "문의하신 내용을 확인해 상담원이 자세히 안내해 드릴게요."
_DIGITS = re.compile(r"\d+")


def answer(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """A short Korean answer: the FAQ passage, worded by the LLM only on the chat channel."""
    intent = Intent(state.get("intent", Intent.OTHER.value))
    text = state.get("normalized", "")
    entry = answer_for(text, intent=intent)
    reply = entry.answer if entry else _FALLBACK_ANSWER
    update: CallState = {}
    if state.get("source") == "chat":
        passages = [e.answer for e in retrieve(text, intent=intent, k=2)]
        worded, reason = ask_model(runtime.context, call_id=state.get("call_id", ""),
                                   node="answer", system=CHAT_SYSTEM, schema=ChatReply,
                                   max_tokens=192, user=chat_user(question=text, passages=passages))
        if worded is not None and not _grounded(worded.text, passages):
            worded, reason = None, "ungrounded_numbers"
        if worded is not None:
            reply = worded.text
        if reason is not None:
            update["fallbacks"] = [note(state, "answer", reason)]
    update["answer"] = reply
    update["assist"] = [*state.get("assist", []), f"안내: {reply}"]
    return update


def retain(state: CallState) -> CallState:
    """Cancel or port-out: answer the procedure, and put retention before the paperwork."""
    intent = Intent(state.get("intent", Intent.CANCELLATION.value))
    entry = answer_for(state.get("normalized", ""), intent=intent)
    reply = entry.answer if entry else _FALLBACK_ANSWER
    return {
        "answer": reply,
        "assist": [*state.get("assist", []),
                   "이탈 방어: 절차 안내 전에 불편 사항을 먼저 여쭙고 혜택을 안내하십시오.",
                   f"안내: {reply}"],
        "actions": [note(state, "retain", f"churn_path:{intent.value}")],
    }


def _grounded(text: str, passages: list[str]) -> bool:
    allowed = {m for passage in passages for m in _DIGITS.findall(passage.replace(",", ""))}
    return all(m in allowed for m in _DIGITS.findall(text.replace(",", "")))
