"""Tools the graph may call, with permissions enforced in code and every call audited.

Read tools look at billing data; money tools move money or ask a person to. Each channel
has an allow-list, and credits are capped per credit, per call and per customer-day here,
whatever a prompt or a model says. The public assistant chat can never issue a credit above
`AgentLimits.chat_credit_limit_krw`; larger ones go to a supervisor. A supervisor-approved
credit must carry its consumed ApprovalTicket, which binds call, ledger key, customer and
amount.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, NoReturn, TypeVar

from agents.domain import ConsentRecord, CustomerRecord, InvoiceRecord, PlanRecord, UsageRecord
from agents.limits import AgentLimits
from agents.policies.disputes import approval_key
from agents.ports import (
    ApprovalStore,
    ApprovalTicket,
    AuditLog,
    BillingRepository,
    CreditCapExceeded,
    CreditLedger,
    CreditReceipt,
)

__all__ = [
    "ALLOWED_TOOLS",
    "MONEY_TOOLS",
    "READ_TOOLS",
    "CreditLimits",
    "ToolChannel",
    "ToolPolicyViolation",
    "Tools",
]

T = TypeVar("T")

READ_TOOLS = frozenset({"customer", "plan", "invoices", "usage", "consents"})
MONEY_TOOLS = frozenset({"issue_credit", "request_approval"})


class ToolChannel(StrEnum):
    """Who is acting: the call-center voice agent, the public chat, or a supervisor's approval."""

    VOICE = "voice"
    CHAT = "chat"
    SUPERVISOR = "supervisor"


ALLOWED_TOOLS: dict[ToolChannel, frozenset[str]] = {
    ToolChannel.VOICE: READ_TOOLS | MONEY_TOOLS,
    ToolChannel.CHAT: READ_TOOLS | MONEY_TOOLS,
    ToolChannel.SUPERVISOR: READ_TOOLS | {"issue_credit"},
}


class ToolPolicyViolation(Exception):
    """A tool call the permissions forbid; nothing was done."""

    def __init__(self, tool: str, reason: str) -> None:
        super().__init__(f"{tool}: {reason}")
        self.tool = tool
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CreditLimits:
    """Money limits in won for one channel."""

    per_credit_krw: int
    per_call_krw: int
    per_day_krw: int

    @classmethod
    def for_channel(cls, limits: AgentLimits, channel: ToolChannel) -> CreditLimits:
        """The limits in force: chat never above its small cap, whatever the others say."""
        per_credit = limits.auto_credit_limit_krw
        if channel is ToolChannel.CHAT:
            per_credit = min(per_credit, limits.chat_credit_limit_krw)
        return cls(per_credit, limits.call_credit_cap_krw, limits.daily_credit_cap_krw)


class Tools:
    """The tools of one call on one channel; `credited_krw` is what the call already got."""

    def __init__(
        self,
        *,
        billing: BillingRepository,
        ledger: CreditLedger,
        approvals: ApprovalStore,
        audit: AuditLog,
        call_id: str,
        channel: ToolChannel,
        limits: CreditLimits,
        today: date,
        credited_krw: int = 0,
    ) -> None:
        self._billing, self._ledger = billing, ledger
        self._approvals, self._audit = approvals, audit
        self.call_id, self.channel, self.limits = call_id, channel, limits
        self._today = today
        self.credited_krw = credited_krw

    def customer(self, customer_id: str) -> CustomerRecord | None:
        """The customer record (the graph keeps only its non-PII facts)."""
        return self._call("customer", {"customer_id": customer_id},
                          lambda: self._billing.customer(customer_id))

    def plan(self, plan_id: str) -> PlanRecord | None:
        """A rate plan."""
        return self._call("plan", {"plan_id": plan_id}, lambda: self._billing.plan(plan_id))

    def invoices(self, customer_id: str, *, limit: int = 3) -> list[InvoiceRecord]:
        """Recent invoices with their lines."""
        return self._call("invoices", {"customer_id": customer_id, "limit": limit},
                          lambda: self._billing.invoices(customer_id, limit=limit))

    def usage(self, customer_id: str, *, period: str) -> list[UsageRecord]:
        """Usage records of one period."""
        return self._call("usage", {"customer_id": customer_id, "period": period},
                          lambda: self._billing.usage(customer_id, period=period))

    def consents(self, customer_id: str) -> list[ConsentRecord]:
        """Value-added-service consents."""
        return self._call("consents", {"customer_id": customer_id},
                          lambda: self._billing.consents(customer_id))

    def request_approval(
        self, *, customer_id: str, credit_key: str, amount_krw: int, reason: str
    ) -> ApprovalTicket:
        """Ask a supervisor to approve the credit `credit_key` (idempotent per call)."""
        key = approval_key(credit_key, self.call_id)
        args = {"customer_id": customer_id, "idempotency_key": key, "amount_krw": amount_krw,
                "reason": reason}
        return self._call("request_approval", args, lambda: self._approvals.request(
            call_id=self.call_id, customer_id=customer_id, idempotency_key=key,
            amount_krw=amount_krw, reason=reason))

    def issue_credit(
        self,
        *,
        idempotency_key: str,
        customer_id: str,
        invoice_id: str | None,
        amount_krw: int,
        reason: str,
        approval: ApprovalTicket | None = None,
    ) -> CreditReceipt:
        """Issue a credit within the limits, or under a consumed approval that matches it.

        The per-call and daily caps are enforced by the ledger in the same transaction as
        the insert (counting credits a crashed run already made); an approved credit is not
        capped but counts.
        """
        args = {"idempotency_key": idempotency_key, "customer_id": customer_id,
                "invoice_id": invoice_id, "amount_krw": amount_krw,
                "approval_id": approval.approval_id if approval else None}
        self._check_credit(idempotency_key, customer_id, amount_krw, approval)
        per_call = None if approval else self.limits.per_call_krw
        per_day = None if approval else self.limits.per_day_krw
        try:
            receipt = self._call("issue_credit", args, lambda: self._ledger.issue_credit(
                idempotency_key=idempotency_key, customer_id=customer_id, invoice_id=invoice_id,
                amount_krw=amount_krw, reason=reason, call_id=self.call_id,
                approval_id=approval.approval_id if approval else None,
                per_call_cap_krw=per_call, per_day_cap_krw=per_day))
        except CreditCapExceeded as exc:
            self._deny("issue_credit", f"over the {exc.scope} cap")
        if receipt.created:
            self.credited_krw += receipt.amount_krw
        return receipt

    def _check_credit(
        self, key: str, customer_id: str, amount_krw: int, approval: ApprovalTicket | None
    ) -> None:
        if amount_krw <= 0:
            self._deny("issue_credit", "amount must be positive")
        if approval is not None:
            bound = (approval.idempotency_key == approval_key(key, self.call_id)
                     and approval.call_id == self.call_id)
            if (approval.status != "consumed" or not bound
                    or approval.customer_id != customer_id or approval.amount_krw != amount_krw):
                self._deny("issue_credit", "approval does not match this credit")
            return
        if self.channel is ToolChannel.SUPERVISOR:
            self._deny("issue_credit", "a supervisor credit needs its approval")
        if amount_krw > self.limits.per_credit_krw:
            self._deny("issue_credit", f"{amount_krw} over the {self.channel} limit")
        # A quick refusal from what this run knows; the ledger's check is the binding one.
        if self.credited_krw + amount_krw > self.limits.per_call_krw:
            self._deny("issue_credit", "over the per-call cap")

    def _deny(self, tool: str, reason: str) -> NoReturn:
        self._audit.record(call_id=self.call_id, actor=f"tool:{tool}", action="denied",
                           detail={"channel": self.channel.value, "reason": reason})
        raise ToolPolicyViolation(tool, reason)

    def _call(self, tool: str, args: dict[str, Any], run: Callable[[], T]) -> T:
        if tool not in ALLOWED_TOOLS[self.channel]:
            self._deny(tool, f"not allowed on the {self.channel} channel")
        started = time.perf_counter()
        ok = False
        try:
            result = run()
            ok = True
            return result
        finally:
            self._audit.record(call_id=self.call_id, actor=f"tool:{tool}", action="call",
                               detail={**args, "channel": self.channel.value, "ok": ok},
                               latency_ms=(time.perf_counter() - started) * 1000)
