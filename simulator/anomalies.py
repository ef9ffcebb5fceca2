"""Plant a billing error on a draft invoice with the credit owed, or describe a valid look-alike."""

from __future__ import annotations

import random
from typing import Any

from services.schemas import AnomalyKind, ChargeKind, InvoiceLineRecord
from simulator import catalog
from simulator.accounts import Profile
from simulator.bills import DraftInvoice, prorated_fee

__all__ = ["inject", "pick_invoice", "valid_charge_facts"]

# Lines that get billed twice in real duplicate-charge incidents, with how likely each is.
_DUPLICABLE = {
    ChargeKind.VALUE_ADDED_SERVICE: 3,
    ChargeKind.MICROPAYMENT: 4,
    ChargeKind.DEVICE_INSTALLMENT: 2,
    ChargeKind.PLAN: 1,
}


def pick_invoice(drafts: list[DraftInvoice], profile: Profile) -> DraftInvoice:
    """The invoice to corrupt: the profile's event month (the plan-change month for proration)."""
    return drafts[profile.event_period]


def inject(
    rng: random.Random, kind: AnomalyKind, draft: DraftInvoice, profile: Profile
) -> dict[str, Any]:
    """Corrupt `draft` with an error of `kind`; return the InjectedAnomaly fields."""
    if kind is AnomalyKind.DUPLICATE_CHARGE:
        return _duplicate(rng, draft)
    if kind is AnomalyKind.ROAMING_WITHOUT_USAGE:
        dest, days = profile.destination, profile.trip_days
        line = draft.add(
            ChargeKind.ROAMING,
            f"baro 로밍 데이터 패스 ({dest.name}, {days}일)",
            dest.daily_pass_krw * days,
            service_code=f"ROAM-{dest.code}",
            charged_on=draft.period.day(rng.randint(1, draft.period.days - days)),
        )
        return _facts(draft, [line], kind, "로밍 요금", line.amount_krw, line.amount_krw)
    if kind is AnomalyKind.VAS_WITHOUT_CONSENT:
        addon = rng.choice([v for v in catalog.VAS if v.code not in profile.vas_codes])
        line = draft.add(
            ChargeKind.VALUE_ADDED_SERVICE, addon.name, addon.monthly_krw, service_code=addon.code
        )
        return _facts(draft, [line], kind, addon.name, line.amount_krw, line.amount_krw)
    if kind is AnomalyKind.OVERAGE_ON_UNLIMITED:
        mb = profile.extra_mb
        line = draft.add(
            ChargeKind.DATA_OVERAGE,
            f"데이터 초과 사용료 ({mb:,}MB)",
            mb * catalog.OVERAGE_KRW_PER_MB,
            service_code="DATA-OVG",
        )
        return _facts(draft, [line], kind, "데이터 초과 사용료", line.amount_krw, line.amount_krw)
    return _proration(rng, draft, profile)


def _duplicate(rng: random.Random, draft: DraftInvoice) -> dict[str, Any]:
    candidates = [line for line in draft.lines if line.kind in _DUPLICABLE and line.amount_krw > 0]
    original = rng.choices(candidates, weights=[_DUPLICABLE[line.kind] for line in candidates])[0]
    copy = draft.add(
        original.kind,
        original.description,
        original.amount_krw,
        service_code=original.service_code,
        charged_on=original.charged_on,
    )
    facts = _facts(
        draft,
        [original, copy],
        AnomalyKind.DUPLICATE_CHARGE,
        _charge_name(original),
        copy.amount_krw,
        copy.amount_krw,
    )
    # Two identical micropayments may be two real purchases: only a person can tell.
    facts["needs_review"] = original.kind is ChargeKind.MICROPAYMENT
    return facts


def _proration(rng: random.Random, draft: DraftInvoice, profile: Profile) -> dict[str, Any]:
    """Bill one side of a mid-month plan change for the whole month instead of its days."""
    old, new = profile.previous_plan, profile.plan
    assert old is not None, "proration errors are planted only on plan-change customers"
    old_line, new_line = (line for line in draft.lines if line.kind is ChargeKind.PRORATION)
    wrong_side = rng.choice(("old", "new"))
    target, plan = (old_line, old) if wrong_side == "old" else (new_line, new)
    days = (
        (profile.change_day - 1)
        if wrong_side == "old"
        else draft.period.days - profile.change_day + 1
    )
    correct = prorated_fee(plan.monthly_fee_krw, days, draft.period.days)
    charged = plan.monthly_fee_krw
    draft.replace(target.line_id, charged)
    return _facts(
        draft,
        [target],
        AnomalyKind.PRORATION_ERROR,
        "요금제 변경 일할 요금",
        charged,
        charged - correct,
    )


def _charge_name(line: InvoiceLineRecord) -> str:
    if line.kind is ChargeKind.DEVICE_INSTALLMENT:
        return "단말기 할부금"
    if line.kind is ChargeKind.PLAN:
        return "기본료"
    return line.description


def _facts(
    draft: DraftInvoice,
    lines: list[InvoiceLineRecord],
    kind: AnomalyKind,
    charge: str,
    charged: int,
    credit: int,
) -> dict[str, Any]:
    return {
        "customer_id": draft.customer_id,
        "invoice_id": draft.invoice_id,
        "period": draft.period.label,
        "line_ids": [line.line_id for line in lines],
        "kind": kind,
        "charge": charge,
        "charged_krw": charged,
        "expected_credit_krw": credit,
    }


def valid_charge_facts(
    kind: ChargeKind, drafts: list[DraftInvoice], profile: Profile
) -> dict[str, Any]:
    """Fields of the ValidCharge this profile was built to carry."""
    draft = drafts[profile.event_period]
    lines = [line for line in draft.lines if line.kind is kind]
    charge, reason = {
        ChargeKind.ROAMING: (
            "로밍 요금",
            f"{profile.destination.name} 체류 중 로밍 데이터 사용 기록이 있어 정상 청구되었습니다.",
        ),
        ChargeKind.DATA_OVERAGE: (
            "데이터 초과 사용료",
            f"기본 제공 데이터를 {profile.extra_mb:,}MB 초과 사용하여 정상 청구되었습니다.",
        ),
        ChargeKind.PRORATION: (
            "요금제 변경 일할 요금",
            f"{profile.change_day}일 요금제 변경에 따라 사용 일수만큼 일할 계산되었습니다.",
        ),
    }[kind]
    return {
        "customer_id": profile.customer.customer_id,
        "invoice_id": draft.invoice_id,
        "period": draft.period.label,
        "line_ids": [line.line_id for line in lines],
        "kind": kind,
        "charge": charge,
        "charged_krw": sum(line.amount_krw for line in lines),
        "reason": reason,
    }
