"""Tools hands the per-call and daily caps to the ledger, which enforces them atomically."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from agents.limits import AgentLimits
from agents.ports import ApprovalTicket, CreditCapExceeded, CreditReceipt
from agents.tools import CreditLimits, ToolChannel, ToolPolicyViolation, Tools
from tests.unit.agents.fakes import ports, world


class CappedLedger:
    """Records the caps it is given; refuses with the scope it is told to."""

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse
        self.seen: list[dict[str, Any]] = []

    def issue_credit(self, **kwargs: Any) -> CreditReceipt:
        self.seen.append(kwargs)
        if self.refuse:
            raise CreditCapExceeded(self.refuse, total_krw=59_000, amount_krw=kwargs["amount_krw"],
                                    cap_krw=60_000)
        return CreditReceipt(credit_id="cr-1", idempotency_key=kwargs["idempotency_key"],
                             customer_id=kwargs["customer_id"], amount_krw=kwargs["amount_krw"],
                             created=True)

    def credited_today(self, customer_id: str, *, day: date) -> int:
        raise AssertionError("the daily cap is the ledger's to check, not a read before it")


def _tools(ledger: CappedLedger, channel: ToolChannel = ToolChannel.VOICE) -> tuple[Tools, Any]:
    fakes = ports(world(None))
    tools = Tools(billing=fakes.billing, ledger=ledger, approvals=fakes.approvals,
                  audit=fakes.audit, call_id="call-1", channel=channel,
                  limits=CreditLimits.for_channel(AgentLimits(), channel),
                  today=date(2025, 3, 10))
    return tools, fakes.audit


def test_automatic_credits_carry_both_caps_to_the_ledger() -> None:
    ledger = CappedLedger()
    tools, _ = _tools(ledger)
    tools.issue_credit(idempotency_key="k", customer_id="C1", invoice_id=None,
                       amount_krw=1_000, reason="x")
    settings = AgentLimits()
    assert ledger.seen[0]["per_call_cap_krw"] == settings.call_credit_cap_krw
    assert ledger.seen[0]["per_day_cap_krw"] == settings.daily_credit_cap_krw
    assert ledger.seen[0]["call_id"] == "call-1"
    assert tools.credited_krw == 1_000


def test_an_approved_credit_is_not_capped() -> None:
    ledger = CappedLedger()
    tools, _ = _tools(ledger, ToolChannel.SUPERVISOR)
    ticket = ApprovalTicket(approval_id="ap-1", call_id="call-1", customer_id="C1",
                            idempotency_key="k@call=call-1", amount_krw=90_000, status="consumed")
    tools.issue_credit(idempotency_key="k", customer_id="C1", invoice_id=None,
                       amount_krw=90_000, reason="x", approval=ticket)
    assert (ledger.seen[0]["per_call_cap_krw"], ledger.seen[0]["per_day_cap_krw"]) == (None, None)
    assert ledger.seen[0]["approval_id"] == "ap-1"


@pytest.mark.parametrize("scope", ["per-call", "daily"])
def test_a_ledger_refusal_is_a_denied_tool_call(scope: str) -> None:
    tools, audit = _tools(CappedLedger(refuse=scope))
    with pytest.raises(ToolPolicyViolation, match=f"over the {scope} cap"):
        tools.issue_credit(idempotency_key="k", customer_id="C1", invoice_id=None,
                           amount_krw=1_000, reason="x")
    denied = [e for e in audit.entries if e["action"] == "denied"]
    assert [e["detail"]["reason"] for e in denied] == [f"over the {scope} cap"]
    assert tools.credited_krw == 0
