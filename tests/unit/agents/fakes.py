"""In-memory fakes of every port the graph needs, and a small billing world per anomaly."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from agents.graph import AgentContext
from agents.intents import IntentPrediction
from agents.limits import AgentLimits
from agents.ports import (
    ApprovalTicket,
    CreditCapExceeded,
    CreditReceipt,
    ModelReply,
    ModelUnavailable,
)
from services.schemas import (
    BillingWorld,
    ChargeKind,
    ConsentRecord,
    CustomerRecord,
    Intent,
    InvoiceLineRecord,
    InvoiceRecord,
    PlanRecord,
    UsageKind,
    UsageRecord,
)

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


class FakeBilling:
    def __init__(self, world: BillingWorld) -> None:
        self.world = world

    def customer(self, customer_id: str) -> CustomerRecord | None:
        return next((c for c in self.world.customers if c.customer_id == customer_id), None)

    def plan(self, plan_id: str) -> PlanRecord | None:
        return next((p for p in self.world.plans if p.plan_id == plan_id), None)

    def invoices(self, customer_id: str, *, limit: int = 3) -> list[InvoiceRecord]:
        mine = [i for i in self.world.invoices if i.customer_id == customer_id]
        return sorted(mine, key=lambda i: i.period, reverse=True)[:limit]

    def usage(self, customer_id: str, *, period: str) -> list[UsageRecord]:
        return [u for u in self.world.usage if u.customer_id == customer_id and u.period == period]

    def consents(self, customer_id: str) -> list[ConsentRecord]:
        return [c for c in self.world.consents if c.customer_id == customer_id]


class FakeLedger:
    def __init__(self) -> None:
        self.credits: dict[str, CreditReceipt] = {}
        self.calls = 0

    def issue_credit(self, *, idempotency_key: str, customer_id: str, invoice_id: str | None,
                     amount_krw: int, reason: str, call_id: str,
                     approval_id: str | None = None, per_call_cap_krw: int | None = None,
                     per_day_cap_krw: int | None = None) -> CreditReceipt:
        self.calls += 1
        if idempotency_key in self.credits:
            return self.credits[idempotency_key].model_copy(update={"created": False})
        # The daily cap as the SQL ledger applies it (one "day" here: every credit); the
        # per-call cap is left to Tools' own check, so unit tests can reuse one call id.
        if per_day_cap_krw is not None and (
                self.credited_today(customer_id, day=date.min) + amount_krw > per_day_cap_krw):
            raise CreditCapExceeded("daily", total_krw=self.credited_today(
                customer_id, day=date.min), amount_krw=amount_krw, cap_krw=per_day_cap_krw)
        receipt = CreditReceipt(credit_id=f"cr-{len(self.credits) + 1}",
                                idempotency_key=idempotency_key, customer_id=customer_id,
                                amount_krw=amount_krw, created=True)
        self.credits[idempotency_key] = receipt
        return receipt

    def credited_today(self, customer_id: str, *, day: date) -> int:
        return sum(c.amount_krw for c in self.credits.values() if c.customer_id == customer_id)

    @property
    def total(self) -> int:
        return sum(c.amount_krw for c in self.credits.values())


class FakeApprovals:
    def __init__(self) -> None:
        self.tickets: dict[str, ApprovalTicket] = {}
        self._ids = itertools.count(1)

    def request(self, *, call_id: str, customer_id: str, idempotency_key: str, amount_krw: int,
                reason: str) -> ApprovalTicket:
        for ticket in self.tickets.values():
            if ticket.idempotency_key == idempotency_key:
                return ticket
        ticket = ApprovalTicket(approval_id=f"ap-{next(self._ids)}", call_id=call_id,
                                customer_id=customer_id, idempotency_key=idempotency_key,
                                amount_krw=amount_krw, status="pending")
        self.tickets[ticket.approval_id] = ticket
        return ticket

    def get(self, approval_id: str) -> ApprovalTicket | None:
        return self.tickets.get(approval_id)

    def consume(self, approval_id: str) -> bool:
        ticket = self.tickets.get(approval_id)
        if ticket is None or ticket.status != "approved":
            return False
        self.tickets[approval_id] = ticket.model_copy(update={"status": "consumed"})
        return True

    def decide(self, approval_id: str, *, approved: bool, by: str = "supervisor-1") -> None:
        ticket = self.tickets[approval_id]
        status = "approved" if approved else "rejected"
        self.tickets[approval_id] = ticket.model_copy(update={"status": status, "decided_by": by})


class FakeAudit:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def record(self, *, call_id: str, actor: str, action: str, detail: dict[str, Any],
               latency_ms: float = 0.0, prompt_tokens: int = 0,
               completion_tokens: int = 0) -> None:
        self.entries.append({"call_id": call_id, "actor": actor, "action": action,
                             "detail": detail, "prompt_tokens": prompt_tokens})


@dataclass
class FakeChat:
    """Answers per node: a pydantic value, a callable(schema, user) -> value, or an exception."""

    answers: dict[str, Any] = field(default_factory=dict)
    calls: list[dict[str, str]] = field(default_factory=list)

    def structured(self, *, node: str, system: str, user: str, schema: type[Any],
                   max_tokens: int = 256) -> ModelReply:
        self.calls.append({"node": node, "system": system, "user": user})
        answer = self.answers.get(node, ModelUnavailable("http_500", "no answer scripted"))
        if isinstance(answer, Exception):
            raise answer
        value = answer(schema, user) if callable(answer) else answer
        return ModelReply(value=value, prompt_tokens=100, completion_tokens=20, latency_ms=5.0)

    def text(self, *, node: str, system: str, user: str, max_tokens: int = 256) -> ModelReply:
        raise ModelUnavailable("http_500")


_KEYWORDS: tuple[tuple[Intent, tuple[str, ...]], ...] = (
    (Intent.PORT_OUT, ("번호이동", "옮기", "갈아타")),
    (Intent.CANCELLATION, ("해지",)),
    (Intent.BILLING_DISPUTE, ("잘못", "두 번", "환불", "이상", "안 갔", "간 적", "가입한 적",
                              "무제한인데", "일할", "청구")),
    (Intent.ROAMING, ("로밍",)),
    (Intent.PLAN_CHANGE, ("요금제",)),
    (Intent.NETWORK_QUALITY, ("끊겨", "느려")),
)


class FakeIntents:
    """Keyword intents: confident when a keyword matches, unsure (other, 0.3) otherwise."""

    def predict(self, text: str) -> IntentPrediction:
        for intent, words in _KEYWORDS:
            if any(w in text for w in words):
                return IntentPrediction(intent, 0.9, ((intent, 0.9), (Intent.OTHER, 0.1)))
        return IntentPrediction(Intent.OTHER, 0.3, ((Intent.OTHER, 0.3), (Intent.PAYMENT, 0.2)))


@dataclass
class Ports:
    billing: FakeBilling
    ledger: FakeLedger
    approvals: FakeApprovals
    audit: FakeAudit
    clock: FakeClock
    chat: FakeChat | None

    def context(self, **settings: Any) -> AgentContext:
        return AgentContext(billing=self.billing, ledger=self.ledger, approvals=self.approvals,
                            audit=self.audit, clock=self.clock, intents=FakeIntents(),  # type: ignore[arg-type]
                            limits=AgentLimits(**settings), chat_model=self.chat)


def ports(world: BillingWorld, chat: FakeChat | None = None) -> Ports:
    return Ports(FakeBilling(world), FakeLedger(), FakeApprovals(), FakeAudit(), FakeClock(), chat)


# --- worlds ---------------------------------------------------------------------------

UNLIMITED = PlanRecord(plan_id="5G-UNL", name="5G 프리미어 무제한", monthly_fee_krw=89_000,
                       data_mb=None, voice_min=None, overage_krw_per_mb=0)
CAPPED = PlanRecord(plan_id="LTE-2G", name="LTE 베이직", monthly_fee_krw=33_000, data_mb=2560,
                    voice_min=300, overage_krw_per_mb=22)


def _line(n: int, kind: ChargeKind, description: str, amount: int, code: str | None = None,
          charged_on: date | None = None) -> InvoiceLineRecord:
    return InvoiceLineRecord(line_id=f"L{n}", invoice_id="INV-2025-02", kind=kind,
                             description=description, amount_krw=amount, service_code=code,
                             charged_on=charged_on)


def world(anomaly: str | None = None, *, roaming_krw: int = 11_000, plan: PlanRecord = UNLIMITED,
          contract_end: date | None = date(2026, 6, 30)) -> BillingWorld:
    """Customer C1 with a February bill holding one anomaly (or none)."""
    lines = [_line(1, ChargeKind.PLAN, plan.name, plan.monthly_fee_krw),
             _line(2, ChargeKind.VALUE_ADDED_SERVICE, "컬러링", 1_650, "VAS-COLORING")]
    usage = [UsageRecord(usage_id="U1", customer_id="C1", period="2025-02",
                         kind=UsageKind.DATA_MB, quantity=20_480)]
    if anomaly == "duplicate_charge":
        lines.append(_line(3, ChargeKind.VALUE_ADDED_SERVICE, "컬러링", 1_650, "VAS-COLORING"))
    elif anomaly == "roaming_without_usage":
        lines.append(_line(3, ChargeKind.ROAMING, "일본 데이터 로밍", roaming_krw))
    elif anomaly == "vas_without_consent":
        lines.append(_line(3, ChargeKind.VALUE_ADDED_SERVICE, "뮤직 스트리밍 플러스", 7_900,
                           "VAS-MUSIC"))
    elif anomaly == "overage_on_unlimited":
        lines.append(_line(3, ChargeKind.DATA_OVERAGE, "데이터 초과 사용", 12_000))
    elif anomaly == "proration_error":
        lines.append(_line(3, ChargeKind.PRORATION, "요금제 변경 일할 (20일)", 70_000))
    elif anomaly == "valid_roaming":
        lines.append(_line(3, ChargeKind.ROAMING, "일본 데이터 로밍", 11_000))
        usage.append(UsageRecord(usage_id="U2", customer_id="C1", period="2025-02",
                                 kind=UsageKind.ROAMING_DATA_MB, quantity=900, country="JP"))
    invoice = InvoiceRecord(invoice_id="INV-2025-02", customer_id="C1", period="2025-02",
                            issued_on=date(2025, 3, 1), total_krw=sum(x.amount_krw for x in lines),
                            lines=lines)
    customer = CustomerRecord(customer_id="C1", name="김민준", phone="010-1234-5678",
                              plan_id=plan.plan_id, joined_on=date(2022, 5, 1),
                              contract_end=contract_end)
    consents = [ConsentRecord(consent_id="K1", customer_id="C1", service_code="VAS-COLORING",
                              granted=True, recorded_at=datetime(2022, 5, 1, tzinfo=UTC))]
    return BillingWorld(plans=[UNLIMITED, CAPPED], customers=[customer], invoices=[invoice],
                        usage=usage, consents=consents)


def approval_graph_of(graph: Any) -> Any:
    """The approval graph on the call graph's checkpointer, as the composition root builds it."""
    from agents.approvals import build_approval_graph

    return build_approval_graph(graph.checkpointer)


class CallDriver:
    """Feeds one call's events through the session functions, numbering utterances.

    With `approval_graph`, a turn's approval is opened there, as the agent stage does.
    """

    def __init__(self, graph: Any, context: AgentContext, *, call_id: str = "call-1",
                 customer_id: str = "C1", source: str = "voice",
                 approval_graph: Any = None) -> None:
        from agents.graph import start_call
        from services.schemas import CallStarted

        self.graph, self.context, self.call_id = graph, context, call_id
        self.approval_graph = approval_graph
        self.seq = 0
        self.sent: dict[int, Any] = {}
        start_call(graph, context, CallStarted(call_id=call_id, customer_id=customer_id,
                                               source=source))  # type: ignore[arg-type]

    def say(self, text: str, *, speaker: str = "customer") -> Any:
        from agents.graph import handle_utterance
        from services.schemas import Speaker, Utterance

        utterance = Utterance(call_id=self.call_id, seq=self.seq, speaker=Speaker(speaker),
                              text=text, start_ms=self.seq * 1000, end_ms=self.seq * 1000 + 900,
                              confidence=0.9)
        self.sent[self.seq] = utterance
        self.seq += 1
        turn = handle_utterance(self.graph, self.context, utterance)
        if self.approval_graph is not None and turn.approval is not None:
            from agents.approvals import open_approval

            open_approval(self.approval_graph, self.context, turn.approval)
        return turn

    def redeliver(self, seq: int) -> Any:
        from agents.graph import handle_utterance

        return handle_utterance(self.graph, self.context, self.sent[seq])

    def end(self) -> Any:
        from agents.graph import end_call
        from services.schemas import CallEnded

        return end_call(self.graph, self.context,
                        CallEnded(call_id=self.call_id, utterances=self.seq))
