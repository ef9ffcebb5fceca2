"""Billing periods, invoices under construction, and the ledger that collects finished records."""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from services.schemas import (
    ChargeKind,
    ConsentRecord,
    CustomerRecord,
    InvoiceLineRecord,
    InvoiceRecord,
    PaymentRecord,
    UsageKind,
    UsageRecord,
)
from simulator import catalog


class Period(NamedTuple):
    """A calendar month that one invoice covers."""

    year: int
    month: int

    @property
    def label(self) -> str:
        """The "YYYY-MM" form used in records."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def days(self) -> int:
        """Days in the month."""
        return calendar.monthrange(self.year, self.month)[1]

    def day(self, n: int) -> date:
        """The n-th day of the month."""
        return date(self.year, self.month, n)

    def issued_on(self) -> date:
        """Bills are issued on the first day of the following month."""
        return self.day(self.days) + timedelta(days=1)


def recent_periods(today: date) -> list[Period]:
    """The three full months before `today`'s month, oldest first."""
    periods: list[Period] = []
    year, month = today.year, today.month
    for _ in range(3):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        periods.append(Period(year, month))
    return periods[::-1]


def prorated_fee(monthly_fee_krw: int, days: int, days_in_month: int) -> int:
    """The fee for `days` of a month, truncated to 10 won (integer arithmetic, no float)."""
    return monthly_fee_krw * days // days_in_month // 10 * 10


@dataclass
class DraftInvoice:
    """An invoice whose lines are still being added."""

    customer_id: str
    period: Period
    lines: list[InvoiceLineRecord] = field(default_factory=list)

    @property
    def invoice_id(self) -> str:
        """Stable id: period and customer."""
        return f"INV-{self.period.year:04d}{self.period.month:02d}-{self.customer_id}"

    def add(
        self,
        kind: ChargeKind,
        description: str,
        amount_krw: int,
        *,
        service_code: str | None = None,
        charged_on: date | None = None,
    ) -> InvoiceLineRecord:
        """Append a line with the next line id and return it."""
        line = InvoiceLineRecord(
            line_id=f"{self.invoice_id}-L{len(self.lines) + 1:02d}",
            invoice_id=self.invoice_id,
            kind=kind,
            description=description,
            amount_krw=amount_krw,
            service_code=service_code,
            charged_on=charged_on or self.period.day(1),
        )
        self.lines.append(line)
        return line

    def replace(self, line_id: str, amount_krw: int) -> InvoiceLineRecord:
        """Change one line's amount (used to plant a wrong amount)."""
        for i, line in enumerate(self.lines):
            if line.line_id == line_id:
                self.lines[i] = line.model_copy(update={"amount_krw": amount_krw})
                return self.lines[i]
        raise KeyError(line_id)

    def freeze(self) -> InvoiceRecord:
        """The finished invoice; the total is the sum of its lines."""
        return InvoiceRecord(
            invoice_id=self.invoice_id,
            customer_id=self.customer_id,
            period=self.period.label,
            issued_on=self.period.issued_on(),
            total_krw=sum(line.amount_krw for line in self.lines),
            lines=list(self.lines),
        )


@dataclass
class Ledger:
    """Finished records of every customer, in creation order."""

    customers: list[CustomerRecord] = field(default_factory=list)
    invoices: list[InvoiceRecord] = field(default_factory=list)
    usage: list[UsageRecord] = field(default_factory=list)
    consents: list[ConsentRecord] = field(default_factory=list)
    payments: list[PaymentRecord] = field(default_factory=list)

    def add_usage(
        self,
        customer_id: str,
        period: Period,
        kind: UsageKind,
        quantity: float,
        country: str | None = None,
    ) -> None:
        """Record metered usage for a period."""
        suffix = f"-{country}" if country else ""
        self.usage.append(
            UsageRecord(
                usage_id=f"U-{customer_id}-{period.label}-{kind.value}{suffix}",
                customer_id=customer_id,
                period=period.label,
                kind=kind,
                quantity=quantity,
                country=country,
            )
        )

    def close_invoices(self, rng: random.Random, drafts: list[DraftInvoice], today: date) -> None:
        """Freeze the drafts and record payments for bills whose payment date has passed."""
        for draft in drafts:
            invoice = draft.freeze()
            self.invoices.append(invoice)
            paid_on = invoice.issued_on + timedelta(days=rng.randint(5, 24))
            if paid_on <= today and invoice.total_krw > 0:
                self.payments.append(
                    PaymentRecord(
                        payment_id=f"PAY-{invoice.invoice_id}",
                        invoice_id=invoice.invoice_id,
                        amount_krw=invoice.total_krw,
                        paid_on=paid_on,
                        method=rng.choice(catalog.PAYMENT_METHODS),
                    )
                )
