"""Dispute fixes found by replaying simulator calls: proration days and fees, claims kept
over a call, no money on a claim that names nothing, and plainly wrong charges routed."""

from __future__ import annotations

from datetime import date

from langgraph.checkpoint.memory import InMemorySaver

from agents.graph import build_graph
from agents.policies.claims import (
    extract_claim_rules,
    is_specific,
    merge_claims,
    parse_period,
    states_a_wrong_charge,
)
from agents.policies.disputes import DisputeClaim, DisputeRule, find_anomalies
from services.schemas import (
    ChargeKind,
    DisputeOutcome,
    Intent,
    InvoiceLineRecord,
    InvoiceRecord,
    PlanRecord,
)
from tests.unit.agents.fakes import CAPPED, UNLIMITED, CallDriver, ports, world

TODAY = date(2025, 3, 10)


def _plan_change(old_amount: int, new_amount: int, *, old_days: str = "16일") -> InvoiceRecord:
    """April 2025 (30 days): UNLIMITED until the 16th, CAPPED from the 17th."""
    lines = [
        InvoiceLineRecord(line_id="P1", invoice_id="INV-4", kind=ChargeKind.PRORATION,
                          description=f"{UNLIMITED.name} 일할 계산 (4월 1일~4월 16일, {old_days})",
                          amount_krw=old_amount, service_code=UNLIMITED.plan_id,
                          charged_on=date(2025, 4, 1)),
        InvoiceLineRecord(line_id="P2", invoice_id="INV-4", kind=ChargeKind.PRORATION,
                          description=f"{CAPPED.name} 일할 계산 (4월 17일~4월 30일, 14일)",
                          amount_krw=new_amount, service_code=CAPPED.plan_id,
                          charged_on=date(2025, 4, 17)),
    ]
    return InvoiceRecord(invoice_id="INV-4", customer_id="C1", period="2025-04",
                         issued_on=date(2025, 5, 1), total_krw=old_amount + new_amount,
                         lines=lines)


OLD_OK = 89_000 * 16 // 30 // 10 * 10  # 47,460
NEW_OK = 33_000 * 14 // 30 // 10 * 10  # 15,400


def _anomalies(invoice: InvoiceRecord, plans: list[PlanRecord]) -> list[tuple[str, int, bool]]:
    found = find_anomalies(invoice, plan=CAPPED, usage=[], consents=[], plans=plans)
    return [(f.credit_line_id, f.amount_krw, f.clear) for f in found]


def test_correct_plan_change_has_no_proration_finding() -> None:
    # The range start ("4월 1일") is not the day count, and each side has its own fee.
    assert _anomalies(_plan_change(OLD_OK, NEW_OK), [UNLIMITED]) == []


def test_either_side_billed_in_full_is_found_to_the_won() -> None:
    assert _anomalies(_plan_change(89_000, NEW_OK), [UNLIMITED]) == [
        ("P1", 89_000 - OLD_OK, True)]
    assert _anomalies(_plan_change(OLD_OK, 33_000), [UNLIMITED]) == [
        ("P2", 33_000 - NEW_OK, True)]


def test_a_line_of_an_unknown_plan_is_not_judged_and_a_contradiction_is_unclear() -> None:
    assert _anomalies(_plan_change(89_000, NEW_OK), []) == []  # P1's plan is not known
    # "4월 1일~4월 16일, 20일" contradicts itself: only more than a month's fee is wrong
    # for sure, and even that goes to a person.
    assert _anomalies(_plan_change(89_000, NEW_OK, old_days="20일"), [UNLIMITED]) == []
    assert _anomalies(_plan_change(95_000, NEW_OK, old_days="20일"), [UNLIMITED]) == [
        ("P1", 6_000, False)]


def test_a_birth_date_is_not_a_billing_period() -> None:
    assert parse_period("2001년 9월 24일이요", today=TODAY) is None
    assert parse_period("2025년 2월 요금이요", today=TODAY) == "2025-02"
    assert extract_claim_rules("이민준입니다. 1980년 11월 19일이요.", today=TODAY) is None


def test_claims_merge_over_the_call() -> None:
    first = extract_claim_rules("2월 요금에 컬러링이 두 번 청구됐어요", today=TODAY)
    follow = extract_claim_rules("네, 2월 거요", today=TODAY)
    merged = merge_claims(first, follow)
    assert merged == first
    other = merge_claims(first, DisputeClaim(charge_kind=ChargeKind.ROAMING))
    assert other == DisputeClaim(period="2025-02", charge_kind=ChargeKind.ROAMING)
    assert merge_claims(None, None) is None


def test_only_a_claim_about_a_charge_is_a_dispute() -> None:
    assert not is_specific(extract_claim_rules("5월 요금이 많이 나와서요", today=TODAY))
    assert not is_specific(extract_claim_rules("평소엔 89000원 정도 나왔거든요", today=TODAY))
    assert is_specific(extract_claim_rules("요금이 잘못 청구됐어요", today=TODAY))
    assert is_specific(extract_claim_rules("요금제 바꾼 달 요금이 이상해요", today=TODAY))
    assert states_a_wrong_charge(
        extract_claim_rules("지난달에 소액결제가 이중으로 나갔어요", today=TODAY))
    assert not states_a_wrong_charge(extract_claim_rules("통화 중간에 끊겨요", today=TODAY))
    hint = extract_claim_rules("무제한인데 데이터 초과 요금이 나왔어요", today=TODAY)
    assert hint is not None and hint.anomaly_hint is DisputeRule.OVERAGE_ON_UNLIMITED


def test_a_turn_that_names_no_charge_moves_no_money() -> None:
    fakes = ports(world("overage_on_unlimited"))
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    turn = call.say("2월 청구 금액 좀 알려 주세요")  # the fake tier says dispute ("청구")
    assert turn.insight.intent is Intent.BILLING_DISPUTE
    assert turn.insight.dispute is None
    assert "어떤 항목" in (turn.reply or "")
    assert fakes.ledger.credits == {} and fakes.approvals.tickets == {}
    assert call.end().dispute is None


def test_a_follow_up_keeps_the_claim_and_decides_once() -> None:
    fakes = ports(world("roaming_without_usage", roaming_krw=55_000))
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    first = call.say("지난달 해외에 간 적이 없는데 로밍 요금이 나왔어요").insight.dispute
    again = call.say("네 이상하네요, 빨리 확인해 주세요").insight.dispute  # no claim words
    assert first.outcome is again.outcome is DisputeOutcome.PENDING_APPROVAL
    assert again.amount_krw == first.amount_krw == 55_000
    assert again.approval_id == first.approval_id and len(fakes.approvals.tickets) == 1
    summary = call.end()
    assert summary.dispute is not None and summary.dispute.amount_krw == 55_000


def test_a_repeated_credit_in_one_call_keeps_its_outcome_under_the_call_cap() -> None:
    fakes = ports(world("overage_on_unlimited"))
    # A cap that a second 12,000 would cross: the repeat must not turn into an approval.
    context = fakes.context(call_credit_cap_krw=20_000)
    call = CallDriver(build_graph(InMemorySaver()), context)
    call.say("무제한인데 데이터 초과 요금이 청구됐어요")
    again = call.say("무제한인데 초과 요금이 왜 나와요").insight
    assert again.dispute.outcome is DisputeOutcome.CREDIT_ISSUED
    assert "이미" in again.dispute.explanation
    assert fakes.ledger.total == 12_000 and fakes.approvals.tickets == {}


def test_a_plainly_wrong_charge_is_a_dispute_whatever_the_classifier_says() -> None:
    fakes = ports(world("duplicate_charge"))
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    turn = call.say("지난달에 컬러링이 이중으로 나갔어요")  # the fake tier: other (0.3)
    assert turn.insight.intent is Intent.BILLING_DISPUTE
    assert turn.insight.dispute.outcome is DisputeOutcome.CREDIT_ISSUED
    assert fakes.ledger.total == 1_650
