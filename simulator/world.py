"""Seeded synthetic carrier world: customers, plans, bills, usage, and injected billing errors.

Everything comes from one `random.Random(seed)`, so a (seed, customers, today) triple always
yields the same world. Each customer gets one role up front: an injected anomaly (the ground
truth for disputes), a valid-but-suspicious charge (the "explain, no credit" cases: roaming
with usage, overage on a capped plan, a correct mid-month plan change), or clean.

Conventions the billing tools can rely on:
- proration lines (ChargeKind.PRORATION) carry `service_code` = plan_id, `charged_on` = first
  billed day and a description "<plan> 일할 계산 (M월 D일~M월 E일, N일)"; the correct amount is
  `monthly_fee * N // days_in_month`, truncated to 10 won;
- roaming lines carry `service_code` = "ROAM-<ISO country>"; legitimate ones have
  ROAMING_DATA_MB usage with that country in the same period;
- value-added lines carry `service_code` = the consent's service code;
- a duplicated micropayment is `needs_review`: the bill cannot tell it from two real
  purchases of the same item, so the right outcome is a supervisor's approval at any amount.
"""

from __future__ import annotations

import random
from datetime import date

from pydantic import Field

from services.schemas import AnomalyKind, BillingWorld, ChargeKind, CustomerRecord, InvoiceRecord
from services.schemas.base import Record
from simulator import accounts, anomalies, bills, catalog

__all__ = ["InjectedAnomaly", "SyntheticWorld", "ValidCharge", "generate_world"]


class InjectedAnomaly(Record):
    """A billing error planted in the world, with the credit a correct agent issues."""

    customer_id: str
    invoice_id: str
    period: str
    line_ids: list[str] = Field(min_length=1, description="the wrong line(s); duplicates list both")
    kind: AnomalyKind
    charge: str = Field(description="how a customer names the charge, e.g. V컬러링")
    charged_krw: int = Field(description="amount on the disputed line")
    expected_credit_krw: int = Field(gt=0)
    needs_review: bool = Field(
        default=False, description="the bill alone cannot prove it: approval, not auto-credit"
    )

    @property
    def line_id(self) -> str:
        """The disputed line (the extra copy for duplicates)."""
        return self.line_ids[-1]


class ValidCharge(Record):
    """A correct charge that customers often dispute; the right outcome is an explanation."""

    customer_id: str
    invoice_id: str
    period: str
    line_ids: list[str] = Field(min_length=1)
    kind: ChargeKind
    charge: str
    charged_krw: int
    reason: str = Field(description="why the charge is correct, in Korean")


class SyntheticWorld(Record):
    """The billing data to seed plus the ground truth about it."""

    seed: int
    today: date
    billing: BillingWorld
    anomalies: list[InjectedAnomaly]
    valid_charges: list[ValidCharge]
    birth_dates: dict[str, date] = Field(description="customer_id -> birth date (spoken in calls)")

    def customer(self, customer_id: str) -> CustomerRecord:
        """The customer with this id."""
        for customer in self.billing.customers:
            if customer.customer_id == customer_id:
                return customer
        raise KeyError(customer_id)

    def invoices_of(self, customer_id: str) -> list[InvoiceRecord]:
        """A customer's invoices, oldest first."""
        return [inv for inv in self.billing.invoices if inv.customer_id == customer_id]

    def anomaly_of(self, customer_id: str) -> InjectedAnomaly | None:
        """The anomaly planted on this customer's bills, if any."""
        return next((a for a in self.anomalies if a.customer_id == customer_id), None)

    def valid_charge_of(self, customer_id: str) -> ValidCharge | None:
        """The suspicious-but-valid charge on this customer's bills, if any."""
        return next((v for v in self.valid_charges if v.customer_id == customer_id), None)


_VALID_KINDS = (ChargeKind.ROAMING, ChargeKind.DATA_OVERAGE, ChargeKind.PRORATION)


def generate_world(
    *,
    seed: int,
    customers: int,
    today: date | None = None,
    anomaly_rate: float = 0.35,
    valid_charge_rate: float = 0.2,
) -> SyntheticWorld:
    """Build a deterministic world for `seed`.

    Args:
        seed: Seed of the only random generator used.
        customers: How many subscribers to create.
        today: Reference date; bills cover the three full months before it (default: today).
        anomaly_rate: Share of customers with one injected billing error; kinds cycle so every
            kind appears once there are at least five anomalous customers.
        valid_charge_rate: Share of customers with a suspicious-looking but correct charge.

    Returns:
        The billing data and its ground truth.
    """
    if customers < 1:
        raise ValueError("customers must be >= 1")
    today = today or date.today()
    rng = random.Random(seed)
    roles = _assign_roles(rng, customers, anomaly_rate, valid_charge_rate)
    periods = bills.recent_periods(today)
    used_phones: set[str] = set()
    records = bills.Ledger()
    found: list[InjectedAnomaly] = []
    valid: list[ValidCharge] = []
    births: dict[str, date] = {}
    for index, role in enumerate(roles):
        profile = accounts.make_profile(rng, index, today, role, used_phones)
        births[profile.customer.customer_id] = profile.birth_date
        drafts = accounts.build_bills(rng, profile, periods, records)
        if isinstance(role, AnomalyKind):
            draft = anomalies.pick_invoice(drafts, profile)
            found.append(InjectedAnomaly(**anomalies.inject(rng, role, draft, profile)))
        elif isinstance(role, ChargeKind):
            valid.append(ValidCharge(**anomalies.valid_charge_facts(role, drafts, profile)))
        records.close_invoices(rng, drafts, today)
    billing = BillingWorld(
        plans=list(catalog.PLANS),
        customers=records.customers,
        invoices=records.invoices,
        usage=records.usage,
        consents=records.consents,
        payments=records.payments,
    )
    return SyntheticWorld(
        seed=seed,
        today=today,
        billing=billing,
        anomalies=found,
        valid_charges=valid,
        birth_dates=births,
    )


def _assign_roles(
    rng: random.Random, customers: int, anomaly_rate: float, valid_rate: float
) -> list[AnomalyKind | ChargeKind | None]:
    n_anomalies = round(customers * anomaly_rate)
    n_valid = min(round(customers * valid_rate), customers - n_anomalies)
    kinds = list(AnomalyKind)
    roles: list[AnomalyKind | ChargeKind | None] = [
        kinds[i % len(kinds)] for i in range(n_anomalies)
    ]
    roles += [_VALID_KINDS[i % len(_VALID_KINDS)] for i in range(n_valid)]
    roles += [None] * (customers - len(roles))
    rng.shuffle(roles)
    return roles
