"""Supervisor approvals on their own threads, so a call never waits on an interrupt.

Why a separate thread: LangGraph discards a thread's pending interrupt when new input
(not a `Command(resume=...)`) arrives on it. If the call's own thread paused for approval,
the next utterance would either be held back until a supervisor acted (losing live
assistance) or silently drop the wait. So the call thread records the pending dispute and
moves on, and each approval waits on thread `"{call_id}/approval/{approval_id}"`, which
only ever receives resumes. A resume is a hint to look again: `settle_approval` re-reads
the ticket from the store and credits only if it is approved and `consume()` succeeds;
the ledger key (per customer and invoice line) makes a retried settle a no-op.

Views follow the money: `settle_call` then writes the decision into the call's own thread
(the dispute's outcome and explanation) and returns the views to publish again: the
dispute's insight and, if the call already ended, its summary, each as a new rules
revision. A new revision skips one number: the model's answer to the previous rules
revision (revision + 1) may still come and must not cover the decision. Content decides
idempotency: a view that already shows the decision is returned unchanged (same id), so a
redelivered decision re-publishes the same messages and the sink changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.types import Command

from agents.graph.context import AgentContext
from agents.graph.graph import AgentGraph
from agents.graph.nodes import decision_of, message_id_for
from agents.graph.settlement import SETTLED_STATUSES, settled_dispute
from agents.graph.state import ApprovalWait, CallState, DisputeState, upsert_disputes
from agents.policies.disputes import credit_key_of
from agents.summary import headline_dispute, template_summary
from agents.summary_digest import call_day, digest_payload
from services.schemas import (
    CallInsight,
    CallSummary,
    DisputeOutcome,
    RevisionSource,
    SummaryItems,
    SummarySection,
)

__all__ = ["SettledViews", "approval_thread_id", "open_approval", "resume_approval",
           "settle_call"]

# A rules revision after a decision skips the number the model may still answer with.
_REVISION_STEP = 2
_MAX_REVISION = 1000


@dataclass(frozen=True, slots=True)
class SettledViews:
    """What to publish after a decision: the dispute's insight and the call's summary."""

    outcome: DisputeOutcome
    insight: CallInsight | None
    summary: CallSummary | None


def approval_thread_id(call_id: str, approval_id: str) -> str:
    """The thread an approval waits on."""
    return f"{call_id}/approval/{approval_id}"


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


def open_approval(graph: AgentGraph, context: AgentContext, wait: ApprovalWait) -> None:
    """Start waiting (idempotent: an already opened approval is left as it is)."""
    config = _config(approval_thread_id(wait["call_id"], wait["approval_id"]))
    if graph.get_state(config).values:
        return
    state: CallState = {"call_id": wait["call_id"], "customer_id": wait["customer_id"],
                        "approval": wait,
                        "event": {"kind": "approval", "approval_id": wait["approval_id"]}}
    graph.invoke(state, config, context=context, durability="exit")


def resume_approval(
    graph: AgentGraph, context: AgentContext, *, call_id: str, approval_id: str
) -> ApprovalWait | None:
    """Tell the approval's thread to look at the store again; returns its state after.

    Call this after the supervisor's decision is stored. Returns None for an approval the
    store does not know for this call. A settled approval is returned unchanged.
    """
    config = _config(approval_thread_id(call_id, approval_id))
    if not graph.get_state(config).values:
        ticket = context.approvals.get(approval_id)
        if ticket is None or ticket.call_id != call_id:
            return None
        # Opened lazily: the worker may have crashed between the decision and opening it.
        open_approval(graph, context, ApprovalWait(
            approval_id=approval_id, call_id=call_id, customer_id=ticket.customer_id,
            idempotency_key=credit_key_of(ticket.idempotency_key), amount_krw=ticket.amount_krw,
            invoice_id=None, reason="approved credit", status="pending", checks=0))
    snapshot = graph.get_state(config)
    if snapshot.interrupts:
        result = graph.invoke(Command(resume={"approval_id": approval_id}), config,
                              context=context, durability="exit")
        wait: ApprovalWait | None = result.get("approval")
        return wait
    settled: ApprovalWait | None = snapshot.values.get("approval")
    return settled


def settle_call(
    graph: AgentGraph, context: AgentContext, *, call_id: str, wait: ApprovalWait
) -> SettledViews | None:
    """Write a settled approval into the call's thread; None while it is not settled.

    Also None for a chat session (its thread belongs to the API process, which catches up
    on its next turn) and for an approval the call's thread does not hold.
    """
    outcome = SETTLED_STATUSES.get(wait["status"])
    config = _config(call_id)
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
    fields = template_summary(state, flag_threshold=context.settings.churn_flag_threshold,
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

