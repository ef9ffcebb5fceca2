"""The ports the pure core needs; adapters in `services/` implement them.

Nothing here does I/O. Unit tests use in-memory fakes; integration tests the real adapters.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from agents.domain import (
    ConsentRecord,
    CustomerRecord,
    InvoiceRecord,
    PlanRecord,
    Record,
    UsageRecord,
)

ModelT = TypeVar("ModelT", bound=BaseModel)


class Clock(Protocol):
    """Injected time, so every result repeats in tests."""

    def now(self) -> datetime:
        """The current UTC time."""
        ...


class SystemClock:
    """The system's clock in UTC: the one Clock used wherever no clock is injected."""

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(UTC)


class BillingRepository(Protocol):
    """Read-only billing tools the dispute path may call."""

    def customer(self, customer_id: str) -> CustomerRecord | None:
        """The customer, or None when unknown."""
        ...

    def plan(self, plan_id: str) -> PlanRecord | None:
        """A rate plan."""
        ...

    def invoices(self, customer_id: str, *, limit: int = 3) -> list[InvoiceRecord]:
        """Most recent invoices first, each with its lines."""
        ...

    def usage(self, customer_id: str, *, period: str) -> list[UsageRecord]:
        """Usage records of one billing period."""
        ...

    def consents(self, customer_id: str) -> list[ConsentRecord]:
        """Value-added-service consents."""
        ...


class CreditReceipt(Record):
    """A credit in the ledger; `created` is False when the idempotency key already existed."""

    credit_id: str
    idempotency_key: str
    customer_id: str
    amount_krw: int
    created: bool


class ApprovalTicket(Record):
    """A supervisor approval bound to one proposal, amount and account; single use."""

    approval_id: str
    call_id: str
    customer_id: str
    idempotency_key: str
    amount_krw: int
    status: str  # pending | approved | rejected | consumed
    decided_by: str | None = None


class CreditCapExceeded(Exception):
    """The ledger refused a new credit: a running total would cross its cap; nothing written.

    `scope` is "per-call" (the call's credits) or "daily" (the customer's business day).
    """

    def __init__(self, scope: str, *, total_krw: int, amount_krw: int, cap_krw: int) -> None:
        super().__init__(f"{amount_krw} KRW over the {scope} cap: {total_krw} of {cap_krw} used")
        self.scope = scope
        self.total_krw = total_krw
        self.amount_krw = amount_krw
        self.cap_krw = cap_krw


class CreditLedger(Protocol):
    """Money-moving tool: the only way a credit is issued."""

    def issue_credit(
        self,
        *,
        idempotency_key: str,
        customer_id: str,
        invoice_id: str | None,
        amount_krw: int,
        reason: str,
        call_id: str,
        approval_id: str | None = None,
        per_call_cap_krw: int | None = None,
        per_day_cap_krw: int | None = None,
    ) -> CreditReceipt:
        """Insert the credit once; a repeated key returns the existing credit.

        A new credit counts toward its call's and its customer-day's totals, and is refused
        with CreditCapExceeded when a given cap would be crossed; the check and the insert
        are one atomic step, so concurrent workers and replays cannot pass a cap together.
        """
        ...

    def credited_today(self, customer_id: str, *, day: date) -> int:
        """Sum of credits issued to the customer on that day, for the daily cap."""
        ...


class ApprovalStore(Protocol):
    """Approvals in our own table (not trusted from the graph's resume value)."""

    def request(
        self, *, call_id: str, customer_id: str, idempotency_key: str, amount_krw: int, reason: str
    ) -> ApprovalTicket:
        """Create (or return the existing) pending approval for this proposal."""
        ...

    def get(self, approval_id: str) -> ApprovalTicket | None:
        """Read an approval."""
        ...

    def consume(self, approval_id: str) -> bool:
        """Mark an approved ticket used; False if it was not approved or already used."""
        ...


class AuditLog(Protocol):
    """Every node, tool call and model call, redacted."""

    def record(
        self,
        *,
        call_id: str,
        actor: str,
        action: str,
        detail: dict[str, Any],
        latency_ms: float = 0.0,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
    ) -> None:
        """Append one audit entry."""
        ...


class ModelReply(Record):
    """A validated model output with its cost."""

    value: Any
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0


class ModelUnavailable(Exception):
    """The model could not answer usably (down, late, breaker open, invalid output).

    `reason` is short and machine-readable (timeout, breaker_open, invalid_json,
    schema_mismatch, http_500, disabled, ...); the graph records it and falls back.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class ChatModel(Protocol):
    """The language model, used only for wording and extraction, never for money."""

    def structured(
        self,
        *,
        node: str,
        system: str,
        user: str,
        schema: type[ModelT],
        max_tokens: int = 256,
    ) -> ModelReply:
        """A reply validated against `schema` (reply.value is a `schema` instance).

        Raises ModelUnavailable on any failure; the input must already be redacted.
        """
        ...

    def text(self, *, node: str, system: str, user: str, max_tokens: int = 256) -> ModelReply:
        """A free-text reply (reply.value is str)."""
        ...
