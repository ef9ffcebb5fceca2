"""Nodes: act on the verdict (credit, request approval, explain) and word the explanation."""

from __future__ import annotations

import re

from langgraph.runtime import Runtime

from agents.domain import DisputeOutcome
from agents.graph.context import AgentContext
from agents.graph.nodes._common import ask_model, ends_a_sentence, note, tools_for
from agents.graph.state import CallState, ClaimState, DisputeState, NoteRecord, VerdictState
from agents.ports import CreditReceipt
from agents.prompts.explanation import (
    EXPLANATION_MAX_TOKENS,
    EXPLANATION_SYSTEM,
    Explanation,
    explanation_user,
)
from agents.summary import RULE_LABELS
from agents.tools import ToolPolicyViolation, Tools

_DIGITS = re.compile(r"\d[\d,]*")


def act(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Carry out the verdict with the permission-checked tools; money only by policy."""
    verdict = state.get("verdict")
    if verdict is None:
        return {}
    earlier = _decided_in_call(state, verdict)
    if earlier is not None:
        # Asked again in the same call: say the same thing, move no money, ask no one twice
        # (a second credit attempt would also count twice against the per-call cap).
        credited = earlier["outcome"] == DisputeOutcome.CREDIT_ISSUED
        told = (draft_explanation(verdict, DisputeOutcome.CREDIT_ISSUED, already=True)
                if credited else earlier["explanation"])
        again: DisputeState = {**earlier, "seq": state.get("seq", -1), "explanation": told}
        return {"dispute": again, "disputes": [again],
                "actions": [note(state, "act", f"already_decided:{earlier['outcome']}")]}
    tools = tools_for(runtime.context, state)
    notes: list[NoteRecord] = []
    fallbacks: list[NoteRecord] = []
    outcome, approval_id, credit_id = _outcome_without_money(verdict), None, None
    already = False
    if verdict["action"] == "credit":
        try:
            receipt = _credit(tools, state, verdict)
            outcome, credit_id = DisputeOutcome.CREDIT_ISSUED, receipt.credit_id
            already = not receipt.created
            label = "credit_issued" if receipt.created else "credit_already_issued"
            notes.append(note(state, "act", f"{label}:{receipt.amount_krw}"))
        except ToolPolicyViolation as exc:
            fallbacks.append(note(state, "act", f"tool_policy:{exc.reason}"))
            outcome = DisputeOutcome.PENDING_APPROVAL
    if outcome is DisputeOutcome.PENDING_APPROVAL and verdict["idempotency_key"]:
        ticket = tools.request_approval(
            customer_id=state.get("customer_id", ""), credit_key=verdict["idempotency_key"],
            amount_krw=verdict["amount_krw"], reason=f"{verdict['rule']}: {verdict['note']}")
        approval_id = ticket.approval_id
        notes.append(note(state, "act", f"approval_requested:{ticket.approval_id}"))
    dispute = DisputeState(
        seq=state.get("seq", -1), claim=state.get("claim") or _empty_claim(), outcome=outcome.value,
        rule=verdict["rule"], amount_krw=verdict["amount_krw"], invoice_id=verdict["invoice_id"],
        invoice_line_ids=verdict["evidence_line_ids"], confidence=verdict["confidence"],
        idempotency_key=verdict["idempotency_key"], approval_id=approval_id, credit_id=credit_id,
        explanation=draft_explanation(verdict, outcome, already=already))
    return {"dispute": dispute, "disputes": [dispute], "credited_krw": tools.credited_krw,
            "actions": notes, "fallbacks": fallbacks}


def explain(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Let the LLM word the decided facts; keep the template unless the wording is safe."""
    dispute, verdict = state.get("dispute"), state.get("verdict")
    if dispute is None or verdict is None:
        return {}
    draft = dispute["explanation"]
    worded, reason = ask_model(
        runtime.context, call_id=state.get("call_id", ""), node="explain",
        system=EXPLANATION_SYSTEM, schema=Explanation, max_tokens=EXPLANATION_MAX_TOKENS,
        user=explanation_user(outcome=dispute["outcome"], rule=dispute["rule"],
                              amount_krw=dispute["amount_krw"], facts=verdict["note"], draft=draft))
    if worded is not None and not _numbers_are_allowed(worded.text, dispute["amount_krw"], draft):
        worded, reason = None, "unsupported_numbers"
    if worded is not None and not ends_a_sentence(worded.text):
        worded, reason = None, "truncated"  # the grammar closed the string at its length cap
    text = worded.text if worded is not None else draft
    update: CallState = {"dispute": {**dispute, "explanation": text},
                         "disputes": [{**dispute, "explanation": text}],
                         "assist": [*state.get("assist", []), text]}
    if reason is not None:
        update["fallbacks"] = [note(state, "explain", reason)]
    return update


def draft_explanation(
    verdict: VerdictState, outcome: DisputeOutcome, *, already: bool = False
) -> str:
    """The deterministic Korean explanation of a decision (하십시오체)."""
    amount, rule = verdict["amount_krw"], RULE_LABELS.get(verdict["rule"], verdict["rule"])
    if already:
        return (f"{rule}로 확인된 {amount:,}원은 이미 감면 처리되었습니다. "
                "다음 달 요금에 반영됩니다.")
    if outcome is DisputeOutcome.CREDIT_ISSUED:
        return (f"확인해 보니 {verdict['note']}. {rule}로 확인된 {amount:,}원은 다음 달 요금에서 "
                "감면해 드리겠습니다.")
    if outcome is DisputeOutcome.PENDING_APPROVAL:
        return (f"확인해 보니 {verdict['note']}. {amount:,}원 감면은 담당 관리자 승인 후 처리되며, "
                "결과를 안내해 드리겠습니다.")
    if outcome is DisputeOutcome.NO_INVOICE:
        return "고객님의 청구서를 찾지 못하였습니다. 본인 확인 후 다시 확인해 드리겠습니다."
    return ("확인해 보니 청구된 내역은 요금제와 사용 내역에 맞게 정상 청구되었습니다. "
            "항목별로 안내해 드리겠습니다.")


def _credit(tools: Tools, state: CallState, verdict: VerdictState) -> CreditReceipt:
    if not verdict["idempotency_key"]:
        raise ToolPolicyViolation("issue_credit", "no idempotency key")
    return tools.issue_credit(
        idempotency_key=verdict["idempotency_key"], customer_id=state.get("customer_id", ""),
        invoice_id=verdict["invoice_id"], amount_krw=verdict["amount_krw"],
        reason=f"{verdict['rule']}: {verdict['note']}")


def _decided_in_call(state: CallState, verdict: VerdictState) -> DisputeState | None:
    """This call's earlier decision on the same ledger key, if money moved or was asked for."""
    key = verdict["idempotency_key"]
    if key is None:
        return None
    return next((d for d in reversed(state.get("disputes", []))
                 if d["idempotency_key"] == key and d["outcome"] != DisputeOutcome.EXPLAINED), None)


def _outcome_without_money(verdict: VerdictState) -> DisputeOutcome:
    return {"credit": DisputeOutcome.CREDIT_ISSUED, "approval": DisputeOutcome.PENDING_APPROVAL,
            "no_invoice": DisputeOutcome.NO_INVOICE}.get(verdict["action"],
                                                        DisputeOutcome.EXPLAINED)


def _numbers_are_allowed(text: str, amount_krw: int, draft: str) -> bool:
    allowed = {str(amount_krw)} | {m.replace(",", "") for m in _DIGITS.findall(draft)}
    return all(m.replace(",", "") in allowed for m in _DIGITS.findall(text))


def _empty_claim() -> ClaimState:
    return ClaimState(period=None, charge_kind=None, amount_krw=None, anomaly_hint=None,
                      source="none")
