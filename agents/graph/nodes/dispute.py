"""Nodes of the dispute path: extract the claim, investigate the bill, decide by policy."""

from __future__ import annotations

from typing import Any, Literal

from langgraph.runtime import Runtime

from agents.domain import ChargeKind, ConsentRecord, InvoiceRecord, PlanRecord, UsageRecord
from agents.graph.context import AgentContext
from agents.graph.nodes._common import ask_model, channel_of, note, today, tools_for
from agents.graph.state import CallState, ClaimState, NoteRecord, VerdictState
from agents.policies.claims import (
    extract_claim_rules,
    is_specific,
    merge_claims,
    names_the_charge,
)
from agents.policies.disputes import DisputeClaim, DisputeRule, evaluate_dispute, select_invoice
from agents.prompts.claim import CLAIM_SYSTEM, ClaimExtraction, claim_user
from agents.tools import CreditLimits

_ASK_WHICH_CHARGE = ("어느 달 청구서의 어떤 항목이 잘못 청구된 것 같으신지 말씀해 주시면 "
                     "바로 확인해 드리겠습니다.")
_NO_CLAIM = ClaimState(period=None, charge_kind=None, amount_krw=None, anomaly_hint=None,
                       source="none")


def extract_claim(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Rules first; the LLM only when neither this turn nor the call so far names the charge.

    The turn's claim is merged into the call's claim, so a follow-up ("네, 4월 거요") keeps
    the charge named earlier and an identity answer does not start a claim from nothing.
    The amount is never trusted: it only helps pick among the policy's findings.
    """
    context, text = runtime.context, state.get("normalized", "")
    day = today(context)
    earlier = state.get("call_claim")
    turn = extract_claim_rules(text, today=day)
    source: Literal["rules", "llm", "none"] = "rules"
    fallbacks: list[NoteRecord] = []
    needed = not names_the_charge(merge_claims(policy_claim(earlier) if earlier else None, turn))
    # The bench's no-routing baseline asks every time; what the rules found still wins.
    if needed or context.limits.llm_for_everything:
        last_month = f"{day.year - (day.month == 1)}-{(day.month - 2) % 12 + 1:02d}"
        # A full claim is about 44 tokens: enums, an integer and a YYYY-MM string.
        found, reason = ask_model(context, call_id=state.get("call_id", ""),
                                  node="extract_claim", system=CLAIM_SYSTEM,
                                  schema=ClaimExtraction, max_tokens=64,
                                  user=claim_user(text, today=day.isoformat(),
                                                  last_month=last_month))
        if needed and found is None:
            fallbacks.append(note(state, "extract_claim", reason or "none"))
        elif needed and found is not None and (proposed := _llm_claim(found)) is not None:
            # What the rules read in the words wins; the model only fills the gaps.
            turn, source = merge_claims(proposed, turn), "llm"
    merged = merge_claims(policy_claim(earlier) if earlier else None, turn)
    if merged is None:
        return {"claim": _NO_CLAIM, "fallbacks": fallbacks}
    if turn is None and earlier is not None:
        source = earlier["source"]
    claim = ClaimState(
        period=merged.period, amount_krw=merged.amount_krw, source=source,
        charge_kind=merged.charge_kind.value if merged.charge_kind else None,
        anomaly_hint=merged.anomaly_hint.value if merged.anomaly_hint else None,
        contested=merged.contested)
    update: CallState = {"claim": claim, "call_claim": claim}
    if fallbacks:
        update["fallbacks"] = fallbacks
    return update


def investigate(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Read invoices, plans, usage and consents through the audited read tools.

    Nothing is read for a claim that does not say what is disputed (see `decide`).
    """
    claim = policy_claim(state.get("claim"))
    if not is_specific(claim):
        return {"evidence": None}
    customer_id = state.get("customer_id", "")
    tools = tools_for(runtime.context, state)
    invoices = tools.invoices(customer_id, limit=3)
    invoice = select_invoice(claim, invoices)
    profile = state.get("profile")
    plan = tools.plan(profile["plan_id"]) if profile and profile["plan_id"] else None
    usage = tools.usage(customer_id, period=invoice.period) if invoice else []
    consents = tools.consents(customer_id) if invoice else []
    # A plan-change month bills the plan left behind too: its fee checks its proration line.
    codes = {line.service_code for line in (invoice.lines if invoice else [])
             if line.kind is ChargeKind.PRORATION and line.service_code}
    plans = [p for code in sorted(codes - {plan.plan_id if plan else ""})
             if (p := tools.plan(code)) is not None]
    return {"evidence": {
        "invoices": [item.model_dump(mode="json") for item in invoices],
        "plan": plan.model_dump(mode="json") if plan else None,
        "plans": [item.model_dump(mode="json") for item in plans],
        "usage": [item.model_dump(mode="json") for item in usage],
        "consents": [item.model_dump(mode="json") for item in consents],
    }}


def decide(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Apply the deterministic dispute policy; the channel's limit decides credit vs approval.

    A claim that names no charge or error and does not say a charge is wrong decides
    nothing: money never moves on "my bill is high"; the agent asks which charge instead.
    """
    claim = policy_claim(state.get("claim"))
    if not is_specific(claim):
        return {"verdict": None, "answer": _ASK_WHICH_CHARGE,
                "assist": [*state.get("assist", []), f"안내: {_ASK_WHICH_CHARGE}"],
                "actions": [note(state, "decide", "claim_needs_detail")]}
    evidence: dict[str, Any] = state.get("evidence") or {}
    context = runtime.context
    limits = CreditLimits.for_channel(context.limits, channel_of(state))
    verdict = evaluate_dispute(
        claim,
        customer_id=state.get("customer_id", ""),
        invoices=[InvoiceRecord.model_validate(i) for i in evidence.get("invoices", [])],
        plan=PlanRecord.model_validate(evidence["plan"]) if evidence.get("plan") else None,
        plans=[PlanRecord.model_validate(p) for p in evidence.get("plans", [])],
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
        contested=claim.get("contested", False),
    )


def _llm_claim(found: ClaimExtraction) -> DisputeClaim | None:
    """The model's claim in the policy's terms, or None when it found nothing either."""
    claim = policy_claim(ClaimState(period=found.period, charge_kind=found.charge_kind,
                                    amount_krw=found.amount_krw, anomaly_hint=found.anomaly,
                                    source="llm"))
    return None if claim == DisputeClaim() else claim
