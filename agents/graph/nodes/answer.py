"""Nodes: answer from the policy/FAQ table, and the churn path's retention guidance."""

from __future__ import annotations

from agents.domain import Intent
from agents.faq import answer_for
from agents.graph.nodes._common import note
from agents.graph.state import CallState

__all__ = ["FALLBACK_ANSWER", "answer", "retain"]

FALLBACK_ANSWER = "문의하신 내용을 확인해 상담원이 자세히 안내해 드릴게요."


def answer(state: CallState) -> CallState:
    """A short Korean answer: the FAQ passage.

    On the chat channel the assistant may have the model word it afterwards, streamed and
    checked (services.api.assistant); the graph itself never waits for a model here.
    """
    intent = Intent(state.get("intent", Intent.OTHER.value))
    entry = answer_for(state.get("normalized", ""), intent=intent)
    reply = entry.answer if entry else FALLBACK_ANSWER
    return {"answer": reply, "assist": [*state.get("assist", []), f"안내: {reply}"]}


def retain(state: CallState) -> CallState:
    """Cancel or port-out: answer the procedure, and put retention before the paperwork."""
    intent = Intent(state.get("intent", Intent.CANCELLATION.value))
    entry = answer_for(state.get("normalized", ""), intent=intent)
    reply = entry.answer if entry else FALLBACK_ANSWER
    return {
        "answer": reply,
        "assist": [*state.get("assist", []),
                   "이탈 방어: 절차 안내 전에 불편 사항을 먼저 여쭙고 혜택을 안내하십시오.",
                   f"안내: {reply}"],
        "actions": [note(state, "retain", f"churn_path:{intent.value}")],
    }

