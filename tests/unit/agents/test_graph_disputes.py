"""The dispute path end to end on in-memory ports: rules, amounts, credits, idempotency."""

from __future__ import annotations

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agents.graph import build_graph
from services.schemas import DisputeOutcome
from tests.unit.agents.fakes import CallDriver, ports, world

CASES = [
    ("duplicate_charge", "2월 요금에 컬러링이 두 번 청구됐어요", 1_650),
    ("roaming_without_usage", "지난달 해외에 간 적이 없는데 로밍 요금이 나왔어요", 11_000),
    ("vas_without_consent", "가입한 적 없는 뮤직 서비스 요금이 청구됐어요", 7_900),
    ("overage_on_unlimited", "무제한인데 데이터 초과 요금이 청구됐어요", 12_000),
    ("proration_error", "요금제 바꾼 달 일할 계산이 이상하게 청구됐어요", 70_000 - 63_570),
]


@pytest.mark.parametrize(("rule", "text", "amount"), CASES)
def test_each_anomaly_is_credited_by_its_rule(rule: str, text: str, amount: int) -> None:
    fakes = ports(world(rule))
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    turn = call.say(text)
    dispute = turn.insight.dispute
    assert dispute.rule == rule
    assert dispute.outcome is DisputeOutcome.CREDIT_ISSUED
    assert dispute.amount_krw == amount
    assert dispute.idempotency_key == "credit:C1:L3"
    assert "L3" in dispute.invoice_line_ids
    assert fakes.ledger.total == amount
    assert any(a.startswith("credit_issued:") for a in turn.insight.actions)


def test_valid_charge_is_explained_without_credit() -> None:
    fakes = ports(world("valid_roaming"))
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    dispute = call.say("로밍 요금이 잘못 청구된 것 같아요").insight.dispute
    assert dispute.outcome is DisputeOutcome.EXPLAINED
    assert dispute.rule == "valid_charge"
    assert dispute.amount_krw == 0
    assert "L3" in dispute.invoice_line_ids
    assert fakes.ledger.credits == {}


def test_unknown_customer_gets_no_invoice_and_no_money() -> None:
    fakes = ports(world("roaming_without_usage"))
    call = CallDriver(build_graph(InMemorySaver()), fakes.context(), customer_id="C404")
    dispute = call.say("로밍 요금이 잘못 청구됐어요").insight.dispute
    assert dispute.outcome is DisputeOutcome.NO_INVOICE
    assert fakes.ledger.credits == {}


def test_redelivered_utterance_does_not_double_the_credit() -> None:
    fakes = ports(world("overage_on_unlimited"))
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    first = call.say("무제한인데 데이터 초과 요금이 청구됐어요")
    again = call.redeliver(0)
    assert again.duplicate and not first.duplicate
    assert again.insight == first.insight  # same message id: the sink replaces, not adds
    assert fakes.ledger.calls == 1
    assert fakes.ledger.total == 12_000


def test_same_anomaly_in_a_second_call_is_not_credited_twice() -> None:
    fakes = ports(world("overage_on_unlimited"))
    graph = build_graph(InMemorySaver())
    CallDriver(graph, fakes.context(), call_id="call-1").say("무제한인데 초과 요금이 나왔어요")
    second = CallDriver(graph, fakes.context(), call_id="call-2").say(
        "무제한인데 초과 요금이 또 나왔어요")
    assert second.insight.dispute.outcome is DisputeOutcome.CREDIT_ISSUED
    assert "credit_already_issued:12000" in second.insight.actions
    assert "이미" in second.insight.dispute.explanation
    assert fakes.ledger.total == 12_000


def test_repeating_the_dispute_in_the_same_call_is_idempotent() -> None:
    fakes = ports(world("duplicate_charge"))
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    call.say("컬러링이 두 번 청구됐어요")
    call.say("네 그 두 번 청구된 거 환불해 주세요")
    assert fakes.ledger.total == 1_650
    assert len(fakes.ledger.credits) == 1
