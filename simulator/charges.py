"""Monthly charges of one subscriber: plan or proration, discounts, add-ons, usage and events."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from services.schemas import ChargeKind
from services.schemas import UsageKind as U
from simulator import catalog
from simulator.bills import DraftInvoice, Ledger, prorated_fee

if TYPE_CHECKING:
    from simulator.accounts import Profile

__all__ = ["other_lines", "plan_lines", "usage"]

_MICRO_AMOUNTS = (1_100, 2_200, 4_400, 5_500, 9_900, 12_000, 33_000, 49_500)


def plan_lines(draft: DraftInvoice, profile: Profile, i: int) -> None:
    """Plan fee (or the two proration lines in the plan-change month) and discounts."""
    period, plan, old = draft.period, profile.plan, profile.previous_plan
    if old is None or i != profile.event_period:
        billed = old if old is not None and i < profile.event_period else plan
        draft.add(
            ChargeKind.PLAN,
            f"{billed.name} 월정액",
            billed.monthly_fee_krw,
            service_code=billed.plan_id,
        )
        base = billed.monthly_fee_krw
    else:
        day, end = profile.change_day, period.days
        old_amount = prorated_fee(old.monthly_fee_krw, day - 1, end)
        new_amount = prorated_fee(plan.monthly_fee_krw, end - day + 1, end)
        m = period.month
        draft.add(
            ChargeKind.PRORATION,
            f"{old.name} 일할 계산 ({m}월 1일~{m}월 {day - 1}일, {day - 1}일)",
            old_amount,
            service_code=old.plan_id,
            charged_on=period.day(1),
        )
        draft.add(
            ChargeKind.PRORATION,
            f"{plan.name} 일할 계산 ({m}월 {day}일~{m}월 {end}일, {end - day + 1}일)",
            new_amount,
            service_code=plan.plan_id,
            charged_on=period.day(day),
        )
        base = old_amount + new_amount
    if profile.contract:
        draft.add(
            ChargeKind.DISCOUNT,
            "선택약정 할인 (25%)",
            -catalog.truncate_won(base * catalog.SELECTIVE_CONTRACT_RATE),
        )
    if profile.family:
        draft.add(ChargeKind.DISCOUNT, "가족결합 할인", -catalog.FAMILY_BUNDLE_DISCOUNT_KRW)


def other_lines(rng: random.Random, draft: DraftInvoice, profile: Profile, i: int) -> None:
    """Device instalment, consented add-ons and micropayments."""
    if profile.device is not None:
        n = profile.installments_before + i + 1
        amount = catalog.truncate_won(profile.device.price_krw / profile.installment_months)
        draft.add(
            ChargeKind.DEVICE_INSTALLMENT,
            f"단말기 할부금 ({profile.device.name}, {n}/{profile.installment_months}회차)",
            amount,
        )
    for code in profile.vas_codes:
        addon = catalog.vas_by_code(code)
        draft.add(ChargeKind.VALUE_ADDED_SERVICE, addon.name, addon.monthly_krw, service_code=code)
    if profile.micropay:
        # distinct merchants per month, so only a planted duplicate repeats a purchase
        for merchant in rng.sample(catalog.MERCHANTS, k=rng.randint(1, 3)):
            draft.add(
                ChargeKind.MICROPAYMENT,
                f"소액결제 ({merchant})",
                rng.choice(_MICRO_AMOUNTS),
                service_code=f"MP-{catalog.MERCHANTS.index(merchant):02d}",
                charged_on=draft.period.day(rng.randint(1, draft.period.days)),
            )


def usage(
    rng: random.Random, ledger: Ledger, draft: DraftInvoice, profile: Profile, i: int
) -> None:
    """Metered usage, plus the valid roaming or overage charge in the event month."""
    cid, period, cap = profile.customer.customer_id, draft.period, profile.plan.data_mb
    event = i == profile.event_period
    data_mb = (
        float(rng.randint(15_000, 120_000)) if cap is None else round(cap * rng.uniform(0.35, 0.95))
    )
    if event and profile.role is ChargeKind.DATA_OVERAGE and cap is not None:
        data_mb = float(cap + profile.extra_mb)
        draft.add(
            ChargeKind.DATA_OVERAGE,
            f"데이터 초과 사용료 ({profile.extra_mb:,}MB)",
            profile.extra_mb * profile.plan.overage_krw_per_mb,
            service_code="DATA-OVG",
        )
    ledger.add_usage(cid, period, U.DATA_MB, data_mb)
    ledger.add_usage(cid, period, U.VOICE_MIN, float(rng.randint(60, 280)))
    ledger.add_usage(cid, period, U.SMS, float(rng.randint(3, 80)))
    if event and profile.role is ChargeKind.ROAMING:
        dest = profile.destination
        start = rng.randint(1, period.days - profile.trip_days)
        draft.add(
            ChargeKind.ROAMING,
            f"baro 로밍 데이터 패스 ({dest.name}, {profile.trip_days}일)",
            dest.daily_pass_krw * profile.trip_days,
            service_code=f"ROAM-{dest.code}",
            charged_on=period.day(start),
        )
        ledger.add_usage(
            cid,
            period,
            U.ROAMING_DATA_MB,
            float(rng.randint(150, 900) * profile.trip_days),
            country=dest.code,
        )
        ledger.add_usage(
            cid, period, U.ROAMING_VOICE_MIN, float(rng.randint(0, 25)), country=dest.code
        )
