"""A settled approval written into the call's thread, and the call's views restated.

`settle_call` writes the decision into the call's own thread (the dispute's outcome and
explanation) and returns the views to publish again: the dispute's insight and, if the
call already ended, its summary, each as a new rules revision. A new revision skips one
number: the model's answer to the previous rules revision (revision + 1) may still come
and must not cover the decision. Content decides idempotency: a view that already shows
the decision is returned unchanged (same id), so a redelivered decision re-publishes the
same messages and the sink changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from agents.approvals.settlement import SETTLED_STATUSES, settled_dispute
from agents.approvals.state import ApprovalWait
from agents.domain import DisputeOutcome, RevisionSource, SummaryItems, SummarySection
from agents.graph.context import AgentContext
from agents.graph.nodes.emit import decision_of, message_id_for
from agents.graph.state import CallState, DisputeState, upsert_disputes
from agents.summary import headline_dispute, template_summary
from agents.summary_digest import call_day, digest_payload
from agents.threads import thread_config
from services.schemas import CallInsight, CallSummary

if TYPE_CHECKING:  # a type only: agents.graph.graph may be mid-import (see agents.approvals)
    from agents.graph.graph import AgentGraph

__all__ = ["SettledViews", "settle_call"]

# A rules revision after a decision skips the number the model may still answer with.
_REVISION_STEP = 2
_MAX_REVISION = 1000


@dataclass(frozen=True, slots=True)
class SettledViews:
    """What to publish after a decision: the dispute's insight and the call's summary."""

    outcome: DisputeOutcome
    insight: CallInsight | None
    summary: CallSummary | None


def settle_call(
    graph: AgentGraph, context: AgentContext, *, call_id: str, wait: ApprovalWait
) -> SettledViews | None:
    """Write a settled approval into the call's thread; None while it is not settled.

    `graph` is the call graph. Also None for a chat session (its thread belongs to the
    API process, which catches up on its next turn) and for an approval the call's thread
    does not hold.
    """
    outcome = SETTLED_STATUSES.get(wait["status"])
    config = thread_config(call_id)
    state = cast(CallState, graph.get_state(config).values)
    dispute = next((d for d in state.get("disputes", [])
                    if d["approval_id"] == wait["approval_id"]), None)
    if outcome is None or dispute is None or state.get("source") == "chat":
        return None
    settled = (dispute if dispute["outcome"] == outcome.value
               else settled_dispute(dispute, outcome))
    after: CallState = {**state, "disputes": upsert_disputes(state.get("disputes", []), [settled])}
    insight = _settled_insight(context, call_id, state, settled)
    summary = _settled_summary(context, after, state.get("summary"))
    update: CallState = {"disputes": [settled]}
    if insight is not None:
        update["insights"] = {str(insight.utterance_seq): insight.model_dump(mode="json")}
    if summary is not None:
        update["summary"] = summary.model_dump(mode="json")
    if settled is not dispute or insight is not None or summary is not None:
        # As the summary node: its only edge goes to END, so nothing runs after the update.
        graph.update_state(config, update, as_node="summarize")
    return SettledViews(outcome, insight, summary)


def _settled_insight(context: AgentContext, call_id: str, state: CallState,
                     dispute: DisputeState) -> CallInsight | None:
    """The dispute's insight showing the decision (unchanged if it already does)."""
    stored = state.get("insights", {}).get(str(dispute["seq"]))
    if stored is None:
        return None  # fell out of the kept window; the summary still carries the decision
    insight = CallInsight.model_validate(stored)
    decision = decision_of(dispute)
    if insight.dispute == decision:
        return insight
    old = insight.dispute.explanation if insight.dispute else None
    revision = min(insight.revision + _REVISION_STEP, _MAX_REVISION)
    return insight.model_copy(update={
        "message_id": message_id_for(call_id, f"insight:{insight.utterance_seq}:r{revision}"),
        "occurred_at": context.clock.now(), "dispute": decision, "revision": revision,
        "source": RevisionSource.RULES, "model_tokens": 0,
        "assist": [dispute["explanation"] if line == old else line for line in insight.assist],
        "actions": [*insight.actions, f"approval_{dispute['outcome']}:{dispute['approval_id']}"],
    })


def _settled_summary(context: AgentContext, state: CallState,
                     stored: dict[str, Any] | None) -> CallSummary | None:
    """The ended call's summary restated from the decided facts (unchanged if it agrees)."""
    if stored is None:
        return None  # the call goes on; its summary will read the settled dispute
    summary = CallSummary.model_validate(stored)
    # The call's own day, so "내일" in the call still means the day after the call.
    fields = template_summary(state, flag_threshold=context.limits.churn_flag_threshold,
                              call_date=call_day(summary.occurred_at))
    if (summary.resolution, summary.follow_up) == (fields.resolution, fields.follow_up):
        return summary
    digest = digest_payload(fields.digest)
    revision = min(summary.revision + _REVISION_STEP, _MAX_REVISION)
    call_id = summary.call_id
    return summary.model_copy(update={
        "message_id": message_id_for(call_id, f"summary:r{revision}"),
        "occurred_at": context.clock.now(), "summary": fields.summary,
        "customer_request": fields.customer_request, "resolution": fields.resolution,
        "follow_up": fields.follow_up, "sentiment": fields.sentiment,
        "dispute": decision_of(headline_dispute(state.get("disputes", []))),
        "source": RevisionSource.RULES, "fallback_reason": None, "revision": revision,
        "model_tokens": 0, "headline": digest["headline"], "tags": digest["tags"],
        "sections": [SummarySection.model_validate(x) for x in digest["sections"]],
        "items": SummaryItems.model_validate(digest["items"]),
    })
