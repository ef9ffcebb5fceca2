"""Node: the post-call summary; LLM-written when valid and PII-free, else the template."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agents.domain import DisputeOutcome, SummarySource
from agents.graph.context import AgentContext
from agents.graph.nodes._common import ask_model, ends_a_sentence
from agents.graph.nodes.emit import decision_of, message_id_for
from agents.graph.state import CallState, DisputeState
from agents.korean import redact
from agents.prompts.summary import (
    SUMMARY_MAX_TOKENS,
    SUMMARY_SYSTEM,
    SummaryDraft,
    summary_user,
)
from agents.summary import distinct_intents, template_summary
from agents.summary_digest import call_day, digest_payload
from services.schemas import CallSummary

_SENTIMENT = {"positive": "긍정적입니다.", "neutral": "중립적입니다.", "negative": "부정적입니다."}
# Prefill is most of a summary's cost on a CPU server (Korean runs about 1-1.5 characters
# per Gemma token): the customer's own lines carry the request and the mood, the facts come
# from state, so agent lines are left out and the newest 1,200 characters kept.
_MAX_TRANSCRIPT_CHARS = 1200


def summarize(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Summarize the call; the facts come from state, the LLM only words them."""
    context, call_id = runtime.context, state.get("call_id", "")
    threshold = context.limits.churn_flag_threshold
    now = context.clock.now()
    template = template_summary(state, flag_threshold=threshold, call_date=call_day(now))
    transcript = "\n".join(f"고객: {u['text']}" for u in state.get("utterances", [])
                           if u["speaker"] == "customer")[-_MAX_TRANSCRIPT_CHARS:]
    facts = f"처리 결과: {template.resolution}\n후속 조치: {template.follow_up}"
    draft, reason = ask_model(context, call_id=call_id, node="summarize", system=SUMMARY_SYSTEM,
                              schema=SummaryDraft, max_tokens=SUMMARY_MAX_TOKENS,
                              user=summary_user(facts=facts, transcript=transcript))
    if draft is not None and _has_pii(draft):
        draft, reason = None, "pii_in_model_output"
    if draft is not None and not ends_a_sentence(draft.summary):
        draft, reason = None, "truncated"  # the grammar closed the string at its length cap
    disputes = state.get("disputes", [])
    event = state.get("event", {})
    summary = CallSummary(
        message_id=message_id_for(call_id, "summary"), call_id=call_id,
        occurred_at=now,
        summary=draft.summary if draft else template.summary,
        customer_request=draft.customer_request if draft else template.customer_request,
        # Resolution and follow-up are facts: always the policy's, never the model's.
        resolution=template.resolution, follow_up=template.follow_up,
        sentiment=_SENTIMENT[draft.sentiment] if draft else template.sentiment,
        churn_risk=template.churn_risk, intents=distinct_intents(state),
        churn_score=state.get("churn_score", 0.0),
        dispute=decision_of(_headline(disputes)),
        source=SummarySource.LLM if draft else SummarySource.TEMPLATE,
        fallback_reason=reason,
        utterances=int(event.get("utterances", len(state.get("processed_seqs", [])))),
        **digest_payload(template.digest),
    )
    return {"summary": summary.model_dump(mode="json")}


def _has_pii(draft: SummaryDraft) -> bool:
    fields = (draft.summary, draft.customer_request)
    # Placeholders mean the model copied redacted spans: reject those too.
    return any(redact(f).spans or "[" in f for f in fields)


def _headline(disputes: list[DisputeState]) -> DisputeState | None:
    credited = [d for d in disputes if d["outcome"] == DisputeOutcome.CREDIT_ISSUED]
    chosen = credited or disputes
    return chosen[-1] if chosen else None
