"""Values that fill phrase templates: from a customer's world facts, or drawn at random."""

from __future__ import annotations

import random
from datetime import date

from services.schemas import CustomerRecord
from simulator import catalog, phrases
from simulator.korean import digits_spoken, number_to_hangul, won_spoken

__all__ = ["birth_spoken", "call_slots", "month_spoken", "random_slots"]

_MONTH_NAMES = {6: "유월", 10: "시월"}  # irregular readings of 6월 and 10월


def month_spoken(rng: random.Random, period: str, *, latest: bool, hangul: bool) -> str:
    """How a customer names a billing month: "지난달", "5월" or "오월"."""
    month = int(period[5:])
    if latest and rng.random() < 0.4:
        return "지난달"
    if hangul:
        return _MONTH_NAMES.get(month, number_to_hangul(month) + "월")
    return f"{month}월"


def birth_spoken(rng: random.Random, birth: date) -> str:
    """A birth date as said on the phone: "900315", "구십 년 삼월 십오일" or "1990년 3월 15일"."""
    style = rng.randrange(3)
    if style == 0:
        return birth.strftime("%y%m%d")
    if style == 1:
        yy = number_to_hangul(birth.year % 100) if birth.year % 100 else "공공"
        month = _MONTH_NAMES.get(birth.month, number_to_hangul(birth.month) + "월")
        return f"{yy} 년 {month} {number_to_hangul(birth.day)}일"
    return f"{birth.year}년 {birth.month}월 {birth.day}일"


def phone_spoken(rng: random.Random, phone: str) -> str:
    """A phone number as digits or read digit by digit in Hangul."""
    return digits_spoken(phone) if rng.random() < 0.5 else phone


def call_slots(
    rng: random.Random,
    customer: CustomerRecord,
    birth: date,
    *,
    latest_period: str,
    hangul_numbers: bool,
) -> dict[str, str]:
    """Slots for one customer's call; dispute-specific slots are set by the caller."""
    plan = catalog.plan_by_id(customer.plan_id)
    others = [p for p in catalog.PLANS if p.plan_id != plan.plan_id]
    slots = _shared_slots(rng)
    slots.update(
        name=customer.name,
        phone=phone_spoken(rng, customer.phone),
        birth=birth_spoken(rng, birth),
        plan=plan.name,
        new_plan=rng.choice(others).name,
        amount=won_spoken(plan.monthly_fee_krw, hangul=hangul_numbers),
        month=month_spoken(rng, latest_period, latest=True, hangul=hangul_numbers),
    )
    return slots


def random_slots(rng: random.Random) -> dict[str, str]:
    """Slots for a free-standing training utterance (no world needed)."""
    slots = _shared_slots(rng)
    amount = rng.choice((1_100, 1_650, 3_300, 6_900, 11_000, 32_000, 48_120, 66_000, 89_000))
    plan, new_plan = rng.sample(catalog.PLANS, k=2)
    slots.update(
        name=rng.choice(catalog.SURNAMES) + rng.choice(catalog.GIVEN_NAMES),
        phone=f"010-{rng.randint(2000, 9999)}-{rng.randint(0, 9999):04d}",
        birth=f"{rng.randint(50, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
        plan=plan.name,
        new_plan=new_plan.name,
        amount=won_spoken(amount, hangul=rng.random() < 0.4),
        charge=rng.choice(
            [v.name for v in catalog.VAS]
            + ["로밍 요금", "데이터 초과 사용료", "단말기 할부금", "기본료"]
        ),
        month=f"{rng.randint(1, 12)}월" if rng.random() < 0.7 else "지난달",
    )
    return slots


def _shared_slots(rng: random.Random) -> dict[str, str]:
    return {
        "agent": rng.choice(phrases.AGENT_NAMES),
        "competitor": rng.choice(phrases.COMPETITORS),
        "country": rng.choice(catalog.DESTINATIONS).name,
        "device": rng.choice(catalog.DEVICES).name,
        "merchant": rng.choice(catalog.MERCHANTS),
        "vas": rng.choice(catalog.VAS).name,
        "month": f"{rng.randint(1, 12)}월",
        "charge": "요금",
    }
