"""Billing records shared by the simulator (writes them), the database and the agent tools.

Money is whole Korean won (int). Periods are "YYYY-MM".
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import Field

from services.schemas.base import Record


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

    plan_id: str
    name: str
    monthly_fee_krw: int = Field(ge=0)
    data_mb: int | None = Field(description="None = unlimited")
    voice_min: int | None = Field(description="None = unlimited")
    overage_krw_per_mb: int = Field(ge=0)


class CustomerRecord(Record):
    """A subscriber, with the subscription facts the agent needs."""

    customer_id: str
    name: str
    phone: str
    plan_id: str
    joined_on: date
    contract_end: date | None
    monthly_discount_krw: int = Field(ge=0, default=0)
    segment: str = "standard"


class InvoiceLineRecord(Record):
    """One charge on an invoice."""

    line_id: str
    invoice_id: str
    kind: ChargeKind
    description: str
    amount_krw: int
    service_code: str | None = None
    charged_on: date | None = None


class InvoiceRecord(Record):
    """A monthly bill with its lines."""

    invoice_id: str
    customer_id: str
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    issued_on: date
    total_krw: int
    lines: list[InvoiceLineRecord] = Field(default_factory=list)


class UsageRecord(Record):
    """Metered usage in a billing period."""

    usage_id: str
    customer_id: str
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    kind: UsageKind
    quantity: float = Field(ge=0)
    country: str | None = None


class ConsentRecord(Record):
    """Whether the customer agreed to a value-added service."""

    consent_id: str
    customer_id: str
    service_code: str
    granted: bool
    recorded_at: datetime


class PaymentRecord(Record):
    """A payment received against an invoice."""

    payment_id: str
    invoice_id: str
    amount_krw: int
    paid_on: date
    method: str


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
