"""Deterministic billing-dispute policy: find anomalies on a bill and decide what to do.

The LLM never decides an amount: every amount here comes from invoice lines, the plan and
the usage records. Credits are keyed by customer and invoice line
(`credit_key`), not by call, so one anomaly is never credited twice, even when the customer
disputes it again in a later call or the message is redelivered.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from agents.domain import (
    ChargeKind,
    ConsentRecord,
    InvoiceLineRecord,
    InvoiceRecord,
    PlanRecord,
    UsageKind,
    UsageRecord,
)

__all__ = [
    "DisputeClaim",
    "DisputeRule",
    "Finding",
    "PolicyVerdict",
    "approval_key",
    "credit_key",
    "credit_key_of",
    "evaluate_dispute",
    "find_anomalies",
    "select_invoice",
]

_ROAMING_USAGE = frozenset({UsageKind.ROAMING_DATA_MB, UsageKind.ROAMING_VOICE_MIN})
# "(4월 17일~4월 30일, 14일)": the day count is the "N일" not preceded by a month; the
# range is a cross-check. A bare "1일" of the range start must never be read as the count.
_DAY_COUNT = re.compile(r"(?<!월)(?<!월 )(?<!\d)(\d{1,2})\s*일")
_DAY_RANGE = re.compile(
    r"(\d{1,2})\s*월\s*(\d{1,2})\s*일\s*[~～-]\s*(?:\d{1,2}\s*월\s*)?(\d{1,2})\s*일"
)
# Rounding slack: bills drop amounts under 10 won, so a few won of difference is not an error.
_PRORATION_SLACK_KRW = 10


class DisputeRule(StrEnum):
    """The policy rule behind a decision."""

    DUPLICATE_CHARGE = "duplicate_charge"
    ROAMING_WITHOUT_USAGE = "roaming_without_usage"
    VAS_WITHOUT_CONSENT = "vas_without_consent"
    OVERAGE_ON_UNLIMITED = "overage_on_unlimited"
    PRORATION_ERROR = "proration_error"
    VALID_CHARGE = "valid_charge"
    NO_INVOICE = "no_invoice"


@dataclass(frozen=True, slots=True)
class DisputeClaim:
    """What the customer disputes, as far as it was understood (every field optional).

    `contested` is set when the customer says a charge is wrong ("잘못 청구됐어요") even
    without naming which one.
    """

    period: str | None = None
    charge_kind: ChargeKind | None = None
    amount_krw: int | None = None
    anomaly_hint: DisputeRule | None = None
    contested: bool = False


@dataclass(frozen=True, slots=True)
class Finding:
    """One anomaly on one invoice line; `clear` is False when the data cannot settle it."""

    rule: DisputeRule
    amount_krw: int
    invoice_id: str
    credit_line_id: str
    evidence_line_ids: tuple[str, ...]
    clear: bool
    kind: ChargeKind
    note: str


@dataclass(frozen=True, slots=True)
class PolicyVerdict:
    """What to do about a claim."""

    action: Literal["credit", "approval", "explain", "no_invoice"]
    rule: DisputeRule
    amount_krw: int
    invoice_id: str | None
    evidence_line_ids: tuple[str, ...]
    confidence: Literal["clear", "unclear"]
    idempotency_key: str | None
    note: str
    other_findings: tuple[Finding, ...] = field(default=())


def credit_key(customer_id: str, line_id: str) -> str:
    """The ledger idempotency key: one credit per customer and invoice line, ever."""
    return f"credit:{customer_id}:{line_id}"


def approval_key(credit_key: str, call_id: str) -> str:
    """The approval's key: one request per call and proposal.

    Two calls may each ask a supervisor about the same anomaly (an approval is bound to
    the call that asked); both approved still credit once, because they share the ledger
    key.
    """
    return f"{credit_key}@call={call_id}"


def credit_key_of(approval_key: str) -> str:
    """The ledger key an approval key was made from."""
    return approval_key.rpartition("@call=")[0] or approval_key


def find_anomalies(
    invoice: InvoiceRecord,
    *,
    plan: PlanRecord | None,
    usage: Sequence[UsageRecord],
    consents: Sequence[ConsentRecord],
    plans: Sequence[PlanRecord] = (),
) -> list[Finding]:
    """Every anomaly the rules find on one invoice, largest amount first.

    `plan` is the customer's current plan; `plans` adds the plans that proration lines
    name in their service code (the plan a customer left mid-month has its own fee).
    """
    findings = [
        *_duplicates(invoice),
        *_roaming_without_usage(invoice, usage),
        *_vas_without_consent(invoice, consents),
        *_overage_on_unlimited(invoice, plan),
        *_proration_errors(invoice, plan, plans),
    ]
    seen: set[str] = set()
    unique = []
    for finding in sorted(findings, key=lambda f: (not f.clear, -f.amount_krw)):
        if finding.credit_line_id not in seen:  # one line is credited under one rule only
            seen.add(finding.credit_line_id)
            unique.append(finding)
    return unique


def evaluate_dispute(
    claim: DisputeClaim,
    *,
    customer_id: str,
    invoices: Sequence[InvoiceRecord],
    plan: PlanRecord | None,
    usage: Sequence[UsageRecord],
    consents: Sequence[ConsentRecord],
    auto_limit_krw: int,
    plans: Sequence[PlanRecord] = (),
) -> PolicyVerdict:
    """Decide a claim: credit (clear, at or under the limit), approval, or explain.

    `usage` must cover the chosen invoice's period; `plans` are the plans its proration
    lines name. The finding that best matches the claim is decided; the others are
    returned so the agent can mention them.
    """
    invoice = select_invoice(claim, invoices)
    if invoice is None:
        return PolicyVerdict("no_invoice", DisputeRule.NO_INVOICE, 0, None, (), "clear", None,
                             "청구서를 찾지 못했습니다")
    findings = find_anomalies(invoice, plan=plan, usage=usage, consents=consents, plans=plans)
    if not findings:
        evidence = tuple(line.line_id for line in _matching_lines(invoice, claim))
        return PolicyVerdict("explain", DisputeRule.VALID_CHARGE, 0, invoice.invoice_id, evidence,
                             "clear", None, "청구 내역이 요금제와 사용 내역에 맞습니다")
    best = max(findings, key=lambda f: _match_score(f, claim))
    others = tuple(f for f in findings if f is not best)
    needs_approval = not best.clear or best.amount_krw > auto_limit_krw
    return PolicyVerdict(
        action="approval" if needs_approval else "credit",
        rule=best.rule,
        amount_krw=best.amount_krw,
        invoice_id=best.invoice_id,
        evidence_line_ids=best.evidence_line_ids,
        confidence="clear" if best.clear else "unclear",
        idempotency_key=credit_key(customer_id, best.credit_line_id),
        note=best.note,
        other_findings=others,
    )


def select_invoice(claim: DisputeClaim, invoices: Sequence[InvoiceRecord]) -> InvoiceRecord | None:
    """The invoice of the claimed period, else the most recent one."""
    if not invoices:
        return None
    if claim.period:
        for invoice in invoices:
            if invoice.period == claim.period:
                return invoice
    return max(invoices, key=lambda inv: (inv.period, inv.issued_on))


def _match_score(finding: Finding, claim: DisputeClaim) -> tuple[int, int, int]:
    score = 0
    if claim.anomaly_hint is not None and finding.rule == claim.anomaly_hint:
        score += 4
    if claim.charge_kind is not None and finding.kind == claim.charge_kind:
        score += 2
    if claim.amount_krw is not None and abs(finding.amount_krw - claim.amount_krw) <= 10:
        score += 1
    return score, int(finding.clear), finding.amount_krw


def _matching_lines(invoice: InvoiceRecord, claim: DisputeClaim) -> list[InvoiceLineRecord]:
    if claim.charge_kind is None:
        return [line for line in invoice.lines if line.amount_krw > 0][:5]
    return [line for line in invoice.lines if line.kind == claim.charge_kind]


def _duplicates(invoice: InvoiceRecord) -> list[Finding]:
    findings: list[Finding] = []
    first_of: dict[tuple[object, ...], InvoiceLineRecord] = {}
    for line in invoice.lines:
        if line.amount_krw <= 0 or line.kind is ChargeKind.DISCOUNT:
            continue
        identity = (line.kind, line.description, line.service_code, line.amount_krw,
                    line.charged_on)
        original = first_of.setdefault(identity, line)
        if original is line:
            continue
        # Two identical micropayments can be two real purchases; that needs a person.
        clear = line.kind is not ChargeKind.MICROPAYMENT
        findings.append(Finding(DisputeRule.DUPLICATE_CHARGE, line.amount_krw, invoice.invoice_id,
                                line.line_id, (original.line_id, line.line_id), clear, line.kind,
                                f"'{line.description}' 항목이 두 번 청구되었습니다"))
    return findings


def _roaming_without_usage(invoice: InvoiceRecord, usage: Sequence[UsageRecord]) -> list[Finding]:
    period_usage = [u for u in usage if u.period == invoice.period]
    roamed = any(u.kind in _ROAMING_USAGE and u.quantity > 0 for u in period_usage)
    if roamed:
        return []
    # No usage records at all for the period means the usage feed is missing, not
    # that the customer stayed home: the evidence is unclear.
    clear = bool(period_usage)
    return [
        Finding(DisputeRule.ROAMING_WITHOUT_USAGE, line.amount_krw, invoice.invoice_id,
                line.line_id, (line.line_id,), clear, line.kind,
                "해외 로밍 사용 기록이 없는데 로밍 요금이 청구되었습니다")
        for line in invoice.lines
        if line.kind is ChargeKind.ROAMING and line.amount_krw > 0
    ]


def _vas_without_consent(
    invoice: InvoiceRecord, consents: Sequence[ConsentRecord]
) -> list[Finding]:
    latest: dict[str, ConsentRecord] = {}
    for record in sorted(consents, key=lambda c: c.recorded_at):
        latest[record.service_code] = record
    findings: list[Finding] = []
    for line in invoice.lines:
        if line.kind is not ChargeKind.VALUE_ADDED_SERVICE or line.amount_krw <= 0:
            continue
        consent = latest.get(line.service_code or "")
        if consent is not None and consent.granted:
            continue
        findings.append(Finding(DisputeRule.VAS_WITHOUT_CONSENT, line.amount_krw,
                                invoice.invoice_id, line.line_id, (line.line_id,),
                                line.service_code is not None, line.kind,
                                f"'{line.description}' 부가서비스 가입 동의 기록이 없습니다"))
    return findings


def _overage_on_unlimited(invoice: InvoiceRecord, plan: PlanRecord | None) -> list[Finding]:
    if plan is None:
        return []
    unlimited = set()
    if plan.data_mb is None:
        unlimited.add(ChargeKind.DATA_OVERAGE)
    if plan.voice_min is None:
        unlimited.add(ChargeKind.VOICE_OVERAGE)
    return [
        Finding(DisputeRule.OVERAGE_ON_UNLIMITED, line.amount_krw, invoice.invoice_id,
                line.line_id, (line.line_id,), True, line.kind,
                f"무제한 요금제({plan.name})에 초과 요금이 청구되었습니다")
        for line in invoice.lines
        if line.kind in unlimited and line.amount_krw > 0
    ]


def _proration_errors(
    invoice: InvoiceRecord, plan: PlanRecord | None, plans: Sequence[PlanRecord]
) -> list[Finding]:
    by_id = {p.plan_id: p for p in plans}
    if plan is not None:
        by_id.setdefault(plan.plan_id, plan)
    findings: list[Finding] = []
    year, month = (int(part) for part in invoice.period.split("-"))
    days_in_month = calendar.monthrange(year, month)[1]
    for line in invoice.lines:
        if line.kind is not ChargeKind.PRORATION or line.amount_krw <= 0:
            continue
        # Each side of a plan change is billed at its own plan's fee; a line without a
        # plan code is taken to be the current plan's.
        billed = by_id.get(line.service_code) if line.service_code else plan
        if billed is None:
            continue  # the fee it should follow is unknown: no evidence either way
        days = _billed_days(line, year, month, days_in_month)
        if days is None:
            expected, clear = billed.monthly_fee_krw, False
        else:
            expected = billed.monthly_fee_krw * days // days_in_month // 10 * 10
            clear = True
        excess = line.amount_krw - expected
        if excess > _PRORATION_SLACK_KRW:
            findings.append(Finding(DisputeRule.PRORATION_ERROR, excess, invoice.invoice_id,
                                    line.line_id, (line.line_id,), clear, line.kind,
                                    f"일할 계산 금액이 {expected:,}원이어야 하는데 "
                                    f"{line.amount_krw:,}원이 청구되었습니다"))
    return findings


def _billed_days(line: InvoiceLineRecord, year: int, month: int, days_in_month: int) -> int | None:
    """Days the proration covers, or None when the line contradicts itself.

    From the description's day count ("…, 14일)"), else its day range ("4월 17일~4월 30일"),
    else from `charged_on` to the month's end. A count that disagrees with the range is
    not trusted.
    """
    counted = [int(m.group(1)) for m in _DAY_COUNT.finditer(line.description)]
    span = None
    if match := _DAY_RANGE.search(line.description):
        span = int(match.group(3)) - int(match.group(2)) + 1
    if counted and span is not None and counted[-1] != span:
        return None
    days = counted[-1] if counted else span
    if days is not None:
        return days if 0 < days <= days_in_month else None
    charged = line.charged_on
    if charged is not None and (charged.year, charged.month) == (year, month):
        return days_in_month - charged.day + 1
    return None
