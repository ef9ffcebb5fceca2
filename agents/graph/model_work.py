"""Model work split off the live path: which requests a call's rules results give rise to.

The agent stage emits the rules' insight or summary at once (revision 0) and, beside it,
the requests built here. The model stage answers them later with revision 1, or not at
all when the deadline passes; nothing on the live path ever waits for a model.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from agents.domain import IntentTier, RevisionSource
from agents.graph.state import CallState
from agents.intents.classifier import IntentClassifier
from agents.intents.tiered import LLM_CANDIDATES, OPEN_FLOOR
from services.schemas import CallInsight, CallSummary, ModelRequest, ModelTask

__all__ = ["MAX_TRANSCRIPT_CHARS", "insight_requests", "request_id", "summary_request"]

# Prefill is most of a summary's cost on a CPU server: the customer's own lines carry the
# request and the mood, the facts come from the rules, so agent lines are left out and
# the newest characters kept.
MAX_TRANSCRIPT_CHARS = 1200


def request_id(call_id: str, task: ModelTask, subject: str) -> str:
    """One deterministic id per piece of work, so a replayed request is recognised."""
    return f"mr:{task.value}:{call_id}:{subject}"[:64]


def summary_request(
    state: CallState, summary: CallSummary, *, now: datetime, deadline_s: Mapping[str, float]
) -> ModelRequest:
    """Ask the model to reword the rules' summary from the redacted customer lines."""
    transcript = "\n".join(f"고객: {u['text']}" for u in state.get("utterances", [])
                           if u["speaker"] == "customer")[-MAX_TRANSCRIPT_CHARS:]
    facts = f"처리 결과: {summary.resolution}\n후속 조치: {summary.follow_up}"
    return ModelRequest(
        message_id=request_id(summary.call_id, ModelTask.SUMMARY, str(summary.revision)),
        call_id=summary.call_id, occurred_at=now, task=ModelTask.SUMMARY,
        revision=summary.revision + 1, deadline_at=now + _deadline(deadline_s, ModelTask.SUMMARY),
        summary=summary, transcript=transcript, facts=facts[:2000])


def insight_requests(
    state: CallState,
    insight: CallInsight,
    *,
    intents: IntentClassifier,
    threshold: float,
    now: datetime,
    deadline_s: Mapping[str, float],
) -> list[ModelRequest]:
    """Requests for one rules insight: reword a dispute's explanation, settle an unsure intent.

    A dispute insight never asks for an intent: intents that move money come from code.
    """
    if insight.source is not RevisionSource.RULES:
        return []
    seq = insight.utterance_seq
    if insight.dispute is not None:
        verdict = state.get("verdict")
        note = verdict["note"] if verdict else ""
        return [_request(insight, ModelTask.EXPLANATION, now, deadline_s, facts=note[:2000])]
    if insight.intent_tier is not IntentTier.FAST or insight.intent_confidence >= threshold:
        return []
    text = next((u["text"] for u in reversed(state.get("utterances", [])) if u["seq"] == seq), "")
    if not text:
        return []
    prediction = intents.predict(text)
    candidates = [] if prediction.confidence < OPEN_FLOOR else prediction.top(LLM_CANDIDATES)
    return [_request(insight, ModelTask.INTENT, now, deadline_s, transcript=text[:4000],
                     candidates=list(candidates))]


def _request(insight: CallInsight, task: ModelTask, now: datetime,
             deadline_s: Mapping[str, float], **material: object) -> ModelRequest:
    return ModelRequest.model_validate({
        "message_id": request_id(insight.call_id, task, f"{insight.utterance_seq}"),
        "call_id": insight.call_id, "occurred_at": now, "task": task,
        "revision": insight.revision + 1, "deadline_at": now + _deadline(deadline_s, task),
        "insight": insight, **material})


def _deadline(deadline_s: Mapping[str, float], task: ModelTask) -> timedelta:
    return timedelta(seconds=float(deadline_s.get(task.value, 60.0)))
