"""One synthetic subscriber: profile, consents, three monthly bills and the usage behind them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from services.schemas import AnomalyKind, ChargeKind, ConsentRecord, CustomerRecord, PlanRecord
from simulator import catalog, charges
from simulator.bills import DraftInvoice, Ledger, Period

__all__ = ["Profile", "build_bills", "make_profile"]

Role = AnomalyKind | ChargeKind | None
_UNLIMITED = [p for p in catalog.PLANS if p.data_mb is None]
_CAPPED = [p for p in catalog.PLANS if p.data_mb is not None]


@dataclass
class Profile:
    """Facts about a subscriber that shape their bills."""

    customer: CustomerRecord
    birth_date: date
    role: Role
    plan: PlanRecord
    previous_plan: PlanRecord | None
    event_period: int  # index of the period where the role's charge lands
    change_day: int
    device: catalog.Device | None
    installment_months: int
    installments_before: int
    vas_codes: list[str]
    contract: bool
    family: bool
    micropay: bool
    destination: catalog.Destination
    trip_days: int
    extra_mb: int


def make_profile(
    rng: random.Random, index: int, today: date, role: Role, used_phones: set[str]
) -> Profile:
    """Draw a subscriber whose plan and habits fit `role`."""
    if role is AnomalyKind.OVERAGE_ON_UNLIMITED:
        plan = rng.choice(_UNLIMITED)
    elif role is ChargeKind.DATA_OVERAGE:
        plan = rng.choice(_CAPPED)
    else:
        plan = rng.choices(catalog.PLANS, weights=catalog.PLAN_WEIGHTS)[0]
    changes_plan = role in (AnomalyKind.PRORATION_ERROR, ChargeKind.PRORATION)
    previous = (
        rng.choice([p for p in catalog.PLANS if p.plan_id != plan.plan_id])
        if changes_plan
        else None
    )
    contract = rng.random() < 0.65
    family = rng.random() < 0.2
    contract_end = None
    if contract:
        soon = rng.random() < 0.3
        contract_end = today + timedelta(days=rng.randint(30, 60) if soon else rng.randint(61, 700))
    discount = (
        catalog.truncate_won(plan.monthly_fee_krw * catalog.SELECTIVE_CONTRACT_RATE)
        if contract
        else 0
    )
    discount += catalog.FAMILY_BUNDLE_DISCOUNT_KRW if family else 0
    birth = today - timedelta(days=rng.randint(19 * 365, 78 * 365))
    joined = today - timedelta(days=rng.randint(120, 4500))
    age, tenure_years = (today - birth).days // 365, (today - joined).days // 365
    segment = (
        "youth"
        if age < 30
        else "senior"
        if age >= 65
        else "vip"
        if tenure_years >= 10
        else "standard"
    )
    customer = CustomerRecord(
        customer_id=f"C{index + 1:05d}",
        name=rng.choices(catalog.SURNAMES, weights=catalog.SURNAME_WEIGHTS)[0]
        + rng.choice(catalog.GIVEN_NAMES),
        phone=_phone(rng, used_phones),
        plan_id=plan.plan_id,
        joined_on=joined,
        contract_end=contract_end,
        monthly_discount_krw=discount,
        segment=segment,
    )
    device = rng.choice(catalog.DEVICES) if rng.random() < 0.65 else None
    months = rng.choice((24, 36))
    return Profile(
        customer=customer,
        birth_date=birth,
        role=role,
        plan=plan,
        previous_plan=previous,
        event_period=rng.choices((0, 1, 2), weights=(0.15, 0.25, 0.6))[0],
        change_day=rng.randint(5, 25),
        device=device,
        installment_months=months,
        installments_before=rng.randint(0, months - 4),
        vas_codes=rng.sample([v.code for v in catalog.VAS], k=rng.choice((0, 1, 1, 2))),
        contract=contract,
        family=family,
        micropay=rng.random() < 0.45,
        destination=rng.choice(catalog.DESTINATIONS),
        trip_days=rng.randint(2, 9),
        extra_mb=rng.randint(300, 2500),
    )


def build_bills(
    rng: random.Random, profile: Profile, periods: list[Period], ledger: Ledger
) -> list[DraftInvoice]:
    """Record the customer, consents and usage; return the three draft invoices."""
    cid = profile.customer.customer_id
    ledger.customers.append(profile.customer)
    consented_at = datetime.combine(
        periods[0].day(1) - timedelta(days=rng.randint(30, 900)), time(10), UTC
    )
    for code in profile.vas_codes:
        ledger.consents.append(
            ConsentRecord(
                consent_id=f"CS-{cid}-{code}",
                customer_id=cid,
                service_code=code,
                granted=True,
                recorded_at=consented_at,
            )
        )
    declined = [v.code for v in catalog.VAS if v.code not in profile.vas_codes]
    if rng.random() < 0.3:
        code = rng.choice(declined)  # an offer the customer turned down: explicit refusal on file
        ledger.consents.append(
            ConsentRecord(
                consent_id=f"CS-{cid}-{code}",
                customer_id=cid,
                service_code=code,
                granted=False,
                recorded_at=consented_at,
            )
        )
    drafts = []
    for i, period in enumerate(periods):
        draft = DraftInvoice(cid, period)
        charges.plan_lines(draft, profile, i)
        charges.other_lines(rng, draft, profile, i)
        charges.usage(rng, ledger, draft, profile, i)
        drafts.append(draft)
    return drafts


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        phone = f"010-{rng.randint(2000, 9999)}-{rng.randint(0, 9999):04d}"
        if phone not in used:
            used.add(phone)
            return phone
