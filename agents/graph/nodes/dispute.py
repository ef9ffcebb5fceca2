"""Nodes of the dispute path: extract the claim, investigate the bill, decide by policy."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agents.graph.context import AgentContext
from agents.graph.nodes._common import ask_model, channel_of, note, today, tools_for
from agents.graph.state import CallState, ClaimState, VerdictState
from agents.policies.claims import extract_claim_rules
from agents.policies.disputes import DisputeClaim, DisputeRule, evaluate_dispute, select_invoice
from agents.prompts.claim import CLAIM_SYSTEM, ClaimExtraction, claim_user
from agents.tools import CreditLimits
from services.schemas import (
    ChargeKind,
    ConsentRecord,
    InvoiceRecord,
    PlanRecord,
    UsageRecord,
)

_NO_CLAIM = ClaimState(period=None, charge_kind=None, amount_krw=None, anomaly_hint=None,
                       source="none")


def extract_claim(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Rules first; the LLM only when they find nothing; the amount is never trusted."""
    context, text = runtime.context, state.get("normalized", "")
    day = today(context)
    claim = extract_claim_rules(text, today=day)
    if claim is not None:
        return {"claim": ClaimState(
            period=claim.period, amount_krw=claim.amount_krw, source="rules",
            charge_kind=claim.charge_kind.value if claim.charge_kind else None,
            anomaly_hint=claim.anomaly_hint.value if claim.anomaly_hint else None)}
    last_month = f"{day.year - (day.month == 1)}-{(day.month - 2) % 12 + 1:02d}"
    found, reason = ask_model(context, call_id=state.get("call_id", ""), node="extract_claim",
                              system=CLAIM_SYSTEM, schema=ClaimExtraction, max_tokens=128,
                              user=claim_user(text, today=day.isoformat(), last_month=last_month))
    if found is None:
        return {"claim": _NO_CLAIM, "fallbacks": [note(state, "extract_claim", reason or "none")]}
    return {"claim": ClaimState(period=found.period, charge_kind=found.charge_kind,
                                amount_krw=found.amount_krw, anomaly_hint=found.anomaly,
                                source="llm")}


def investigate(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Read invoices, plan, usage and consents through the audited read tools."""
    customer_id = state.get("customer_id", "")
    tools = tools_for(runtime.context, state)
    invoices = tools.invoices(customer_id, limit=3)
    invoice = select_invoice(policy_claim(state.get("claim")), invoices)
    profile = state.get("profile")
    plan = tools.plan(profile["plan_id"]) if profile and profile["plan_id"] else None
    usage = tools.usage(customer_id, period=invoice.period) if invoice else []
    consents = tools.consents(customer_id) if invoice else []
    return {"evidence": {
        "invoices": [item.model_dump(mode="json") for item in invoices],
        "plan": plan.model_dump(mode="json") if plan else None,
        "usage": [item.model_dump(mode="json") for item in usage],
        "consents": [item.model_dump(mode="json") for item in consents],
    }}


def decide(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Apply the deterministic dispute policy; the channel's limit decides credit vs approval."""
    evidence: dict[str, Any] = state.get("evidence") or {}
    context = runtime.context
    limits = CreditLimits.for_channel(context.settings, channel_of(state))
    verdict = evaluate_dispute(
        policy_claim(state.get("claim")),
        customer_id=state.get("customer_id", ""),
        invoices=[InvoiceRecord.model_validate(i) for i in evidence.get("invoices", [])],
        plan=PlanRecord.model_validate(evidence["plan"]) if evidence.get("plan") else None,
        usage=[UsageRecord.model_validate(u) for u in evidence.get("usage", [])],
        consents=[ConsentRecord.model_validate(c) for c in evidence.get("consents", [])],
        auto_limit_krw=limits.per_credit_krw,
    )
    return {"verdict": VerdictState(
        action=verdict.action, rule=verdict.rule.value, amount_krw=verdict.amount_krw,
        invoice_id=verdict.invoice_id, evidence_line_ids=list(verdict.evidence_line_ids),
        confidence=verdict.confidence, idempotency_key=verdict.idempotency_key,
        note=verdict.note, other_rules=[f.rule.value for f in verdict.other_findings])}


def policy_claim(claim: ClaimState | None) -> DisputeClaim:
    """The policy's view of a claim in state."""
    if claim is None:
        return DisputeClaim()
    return DisputeClaim(
        period=claim["period"], amount_krw=claim["amount_krw"],
        charge_kind=ChargeKind(claim["charge_kind"]) if claim["charge_kind"] else None,
        anomaly_hint=DisputeRule(claim["anomaly_hint"]) if claim["anomaly_hint"] else None,
    )
