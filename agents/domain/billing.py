"""Billing records: the simulator writes them, the database keeps them, the agent tools read them.

Money is whole Korean won (int). Periods are "YYYY-MM".
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from agents.domain import bounds as B
from agents.domain.record import Record

__all__ = [
    "AnomalyKind",
    "BillingWorld",
    "ChargeKind",
    "ConsentRecord",
    "CustomerRecord",
    "InvoiceLineRecord",
    "InvoiceRecord",
    "PaymentRecord",
    "PlanRecord",
    "UsageKind",
    "UsageRecord",
]

_Id = Annotated[str, Field(min_length=1, max_length=B.MAX_ID_CHARS)]
_Won = Annotated[int, Field(ge=-B.MAX_AMOUNT_KRW, le=B.MAX_AMOUNT_KRW)]
_Fee = Annotated[int, Field(ge=0, le=B.MAX_AMOUNT_KRW)]


class ChargeKind(StrEnum):
    """What an invoice line bills for."""

    PLAN = "plan"
    DATA_OVERAGE = "data_overage"
    VOICE_OVERAGE = "voice_overage"
    ROAMING = "roaming"
    VALUE_ADDED_SERVICE = "value_added_service"
    MICROPAYMENT = "micropayment"
    DEVICE_INSTALLMENT = "device_installment"
    DISCOUNT = "discount"
    PRORATION = "proration"


class UsageKind(StrEnum):
    """What a usage record measures."""

    DATA_MB = "data_mb"
    VOICE_MIN = "voice_min"
    SMS = "sms"
    ROAMING_DATA_MB = "roaming_data_mb"
    ROAMING_VOICE_MIN = "roaming_voice_min"


class PlanRecord(Record):
    """A rate plan."""

    plan_id: _Id
    name: str = Field(max_length=200)
    monthly_fee_krw: _Fee
    data_mb: int | None = Field(ge=0, le=10**9, description="None = unlimited")
    voice_min: int | None = Field(ge=0, le=10**9, description="None = unlimited")
    overage_krw_per_mb: _Fee


class CustomerRecord(Record):
    """A subscriber, with the subscription facts the agent needs."""

    customer_id: _Id
    name: str = Field(max_length=200)
    phone: str = Field(max_length=40)
    plan_id: _Id
    joined_on: date
    contract_end: date | None
    monthly_discount_krw: _Fee = 0
    segment: str = Field(default="standard", max_length=40)


class InvoiceLineRecord(Record):
    """One charge on an invoice."""

    line_id: _Id
    invoice_id: _Id
    kind: ChargeKind
    description: str = Field(max_length=B.MAX_NOTE_CHARS)
    amount_krw: _Won
    service_code: str | None = Field(default=None, max_length=B.MAX_ID_CHARS)
    charged_on: date | None = None


class InvoiceRecord(Record):
    """A monthly bill with its lines."""

    invoice_id: _Id
    customer_id: _Id
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    issued_on: date
    total_krw: _Won
    lines: list[InvoiceLineRecord] = Field(default_factory=list, max_length=1000)


class UsageRecord(Record):
    """Metered usage in a billing period."""

    usage_id: _Id
    customer_id: _Id
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    kind: UsageKind
    quantity: float = Field(ge=0, le=1e12)
    country: str | None = Field(default=None, max_length=8)


class ConsentRecord(Record):
    """Whether the customer agreed to a value-added service."""

    consent_id: _Id
    customer_id: _Id
    service_code: _Id
    granted: bool
    recorded_at: datetime


class PaymentRecord(Record):
    """A payment received against an invoice."""

    payment_id: _Id
    invoice_id: _Id
    amount_krw: _Won
    paid_on: date
    method: str = Field(max_length=40)


class AnomalyKind(StrEnum):
    """Billing errors the simulator injects (ground truth for disputes)."""

    DUPLICATE_CHARGE = "duplicate_charge"
    ROAMING_WITHOUT_USAGE = "roaming_without_usage"
    VAS_WITHOUT_CONSENT = "vas_without_consent"
    OVERAGE_ON_UNLIMITED = "overage_on_unlimited"
    PRORATION_ERROR = "proration_error"


class BillingWorld(Record):
    """Everything needed to seed the billing database."""

    plans: list[PlanRecord]
    customers: list[CustomerRecord]
    invoices: list[InvoiceRecord]
    usage: list[UsageRecord]
    consents: list[ConsentRecord]
    payments: list[PaymentRecord] = Field(default_factory=list)
