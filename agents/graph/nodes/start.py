"""Node: open a call (or adopt the customer when CallStarted arrives late)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agents.graph.context import AgentContext
from agents.graph.nodes._common import today, tools_for
from agents.graph.state import CallState, ChurnHitState, Profile
from agents.policies.churn import profile_signals

UNKNOWN_CUSTOMER = "unknown"


def start_call(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Set customer and channel and load the non-PII profile; idempotent on redelivery.

    An utterance of a call we never saw start opens it implicitly with an unknown
    customer (see pipelines.agent): the live assist still works, and the dispute path
    asks for identity instead of reading anyone's bill.
    """
    event = state.get("event", {})
    known = state.get("customer_id")
    customer_id = event.get("customer_id") or known or UNKNOWN_CUSTOMER
    update: CallState = {"source": event.get("source") or state.get("source") or "voice"}
    if known not in (None, UNKNOWN_CUSTOMER) or customer_id == known:
        return update
    update["customer_id"] = customer_id
    if customer_id == UNKNOWN_CUSTOMER:
        update["profile"] = None
        return update
    customer = tools_for(runtime.context, {**state, **update}).customer(customer_id)
    if customer is None:
        update["profile"] = None
        return update
    update["profile"] = Profile(
        plan_id=customer.plan_id, segment=customer.segment,
        joined_on=customer.joined_on.isoformat(),
        contract_end=customer.contract_end.isoformat() if customer.contract_end else None,
    )
    hits = profile_signals(joined_on=customer.joined_on, contract_end=customer.contract_end,
                           today=today(runtime.context),
                           window_days=runtime.context.limits.churn_contract_window_days)
    update["churn_hits"] = [ChurnHitState(name=h.name, seq=h.seq, evidence=h.evidence)
                            for h in hits]
    return update
