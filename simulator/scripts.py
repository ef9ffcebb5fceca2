"""Korean call scripts with ground truth, and labeled utterances for the intent classifier.

Seeds: `generate_calls(seed=s)` draws from `random.Random(f"calls:{s}")` and
`training_utterances(s, n)` from `random.Random(f"train:{s}")`, so the two streams never share
draws even for the same integer seed. Each call's variation (length, speech level, mood,
disfluencies: `simulator.variation`) draws from `random.Random(f"variation:{s}:{call_id}")`,
so it never moves the shared stream's draws. They do share the phrase templates (like a real
classifier trained on transcripts of the same call center), so accuracy on simulated calls is
an optimistic estimate; use held-out real transcripts for a pessimistic one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from services.schemas import AnomalyKind, ChargeKind, DisputeOutcome, Intent
from simulator import phrases, slots
from simulator.dialogue import DialoguePlan, ScriptLine, build_lines
from simulator.korean import won_spoken
from simulator.scenarios import (
    SCENARIO_INTENT,
    CallTruth,
    ExpectedDispute,
    Scenario,
    ScenarioMix,
    ScriptedCall,
)
from simulator.training import training_utterances
from simulator.variation import vary_call
from simulator.world import InjectedAnomaly, SyntheticWorld, ValidCharge

__all__ = ["generate_calls", "training_utterances"]

_CASE = {
    AnomalyKind.DUPLICATE_CHARGE: "duplicate",
    AnomalyKind.ROAMING_WITHOUT_USAGE: "roaming",
    AnomalyKind.VAS_WITHOUT_CONSENT: "vas",
    AnomalyKind.OVERAGE_ON_UNLIMITED: "overage",
    AnomalyKind.PRORATION_ERROR: "proration",
    ChargeKind.ROAMING: "roaming_valid",
    ChargeKind.DATA_OVERAGE: "overage_valid",
    ChargeKind.PRORATION: "proration",
}
_PIVOTABLE = {
    Scenario.BILLING_DISPUTE,
    Scenario.NETWORK_QUALITY,
    Scenario.BILLING_INQUIRY,
    Scenario.PLAN_CHANGE,
}


def generate_calls(
    world: SyntheticWorld,
    *,
    seed: int,
    n: int,
    mix: ScenarioMix | None = None,
    auto_credit_limit_krw: int = 30_000,
    call_id_prefix: str = "sim",
) -> list[ScriptedCall]:
    """Script `n` calls by the world's customers, with ground truth.

    Scenarios follow `mix.weights` by quota (largest remainder, then shuffled), and every
    weighted scenario appears once `n` is at least the number of scenarios. Dispute calls go
    to customers with an injected anomaly, or (at `mix.valid_dispute_rate`) with a correct
    charge that looks wrong. The expected outcome is a credit up to `auto_credit_limit_krw`,
    approval above it or when the bill cannot prove the error (`needs_review`), and an
    explanation for correct charges.
    """
    mix = mix or ScenarioMix()
    rng = random.Random(f"calls:{seed}")
    anomalies, valid = list(world.anomalies), list(world.valid_charges)
    rng.shuffle(anomalies)
    rng.shuffle(valid)
    calls: list[ScriptedCall] = []
    for i, scenario in enumerate(_scenario_quota(rng, n, mix)):
        dispute: InjectedAnomaly | ValidCharge | None = None
        if scenario is Scenario.BILLING_DISPUTE:
            use_valid = bool(valid) and (not anomalies or rng.random() < mix.valid_dispute_rate)
            pool = valid if use_valid else anomalies
            dispute = pool[i % len(pool)] if pool else None
        customer_id = (
            dispute.customer_id if dispute else rng.choice(world.billing.customers).customer_id
        )
        call_id = f"{call_id_prefix}-{seed}-{i:05d}"
        call = _script(rng, world, call_id, customer_id, scenario, dispute, mix,
                       auto_credit_limit_krw)  # fmt: skip
        calls.append(_vary(call, seed=seed, mix=mix))
    return calls


def _script(
    rng: random.Random,
    world: SyntheticWorld,
    call_id: str,
    customer_id: str,
    scenario: Scenario,
    dispute: InjectedAnomaly | ValidCharge | None,
    mix: ScenarioMix,
    limit: int,
) -> _Drafted:
    customer = world.customer(customer_id)
    hangul = rng.random() < mix.hangul_number_rate
    latest = world.invoices_of(customer_id)[-1].period
    birth = world.birth_dates[customer_id]
    fill = slots.call_slots(rng, customer, birth, latest_period=latest, hangul_numbers=hangul)
    casual = rng.random() < mix.casual_rate
    register = "casual" if casual else "polite"
    opening = phrases.OPENINGS[scenario.value][register]
    expected: ExpectedDispute | None = None
    answer_key = scenario.value
    if scenario is Scenario.MICROPAYMENT:
        _name_a_purchase(rng, world, customer_id, fill, hangul)
    if scenario is Scenario.BILLING_DISPUTE and dispute is not None:
        expected = _expected(dispute, limit)
        fill.update(
            month=slots.month_spoken(
                rng, dispute.period, latest=dispute.period == latest, hangul=hangul
            ),
            charge=dispute.charge,
            amount=won_spoken(dispute.charged_krw, hangul=hangul),
        )
        templates = phrases.DISPUTE_OPENINGS[_CASE[dispute.kind]]
        opening = templates["casual" if casual else "amount" if rng.random() < 0.5 else "plain"]
        answer_key = expected.outcome.value
    pivot_rate = mix.multi_intent_rate * (2 if scenario is Scenario.NETWORK_QUALITY else 1)
    pivot = None
    if scenario in _PIVOTABLE and rng.random() < pivot_rate:
        pivot = rng.choice((Intent.CANCELLATION, Intent.PORT_OUT))
    plan = DialoguePlan(scenario, fill, opening, answer_key, pivot=pivot, casual=casual)
    primary = SCENARIO_INTENT[scenario]
    truth = CallTruth(
        expected_intents=[primary] if pivot is None else [primary, pivot],
        primary_intent=primary,
        expected_dispute=expected,
        churn_expected=primary in (Intent.CANCELLATION, Intent.PORT_OUT) or pivot is not None,
    )
    lines = build_lines(rng, plan, mix)
    return _Drafted(ScriptedCall(call_id=call_id, customer_id=customer_id, scenario=scenario,
                                 turns=[line.turn for line in lines], truth=truth),
                    lines, casual)  # fmt: skip


@dataclass(frozen=True)
class _Drafted:
    call: ScriptedCall
    lines: list[ScriptLine]
    casual: bool


def _vary(drafted: _Drafted, *, seed: int, mix: ScenarioMix) -> ScriptedCall:
    call = drafted.call
    varied = vary_call(random.Random(f"variation:{seed}:{call.call_id}"), drafted.lines,
                       scenario=call.scenario, casual=drafted.casual, mix=mix)  # fmt: skip
    truth = call.truth.model_copy(update={
        "mood": varied.mood, "speech_level": varied.speech_level, "length": varied.length,
        "pii": varied.pii})  # fmt: skip
    return call.model_copy(update={"turns": varied.turns, "truth": truth})


def _name_a_purchase(
    rng: random.Random, world: SyntheticWorld, customer_id: str, fill: dict[str, str], hangul: bool
) -> None:
    """Micropayment calls mention a purchase really on the bill when there is one."""
    lines = [
        line
        for invoice in world.invoices_of(customer_id)
        for line in invoice.lines
        if line.kind is ChargeKind.MICROPAYMENT
    ]
    amount = rng.choice((2_200, 4_400, 9_900, 33_000))
    if lines:
        line = rng.choice(lines)
        fill["merchant"] = line.description.removeprefix("소액결제 (").rstrip(")")
        amount = line.amount_krw
    fill["amount"] = won_spoken(amount, hangul=hangul)


def _expected(dispute: InjectedAnomaly | ValidCharge, limit: int) -> ExpectedDispute:
    if isinstance(dispute, ValidCharge):
        return ExpectedDispute(
            anomaly_kind=None,
            outcome=DisputeOutcome.EXPLAINED,
            expected_credit_krw=0,
            invoice_id=dispute.invoice_id,
            line_ids=dispute.line_ids,
            period=dispute.period,
        )
    credit = dispute.expected_credit_krw
    automatic = credit <= limit and not dispute.needs_review
    outcome = DisputeOutcome.CREDIT_ISSUED if automatic else DisputeOutcome.PENDING_APPROVAL
    return ExpectedDispute(
        anomaly_kind=dispute.kind,
        outcome=outcome,
        expected_credit_krw=credit,
        invoice_id=dispute.invoice_id,
        line_ids=dispute.line_ids,
        period=dispute.period,
    )


def _scenario_quota(rng: random.Random, n: int, mix: ScenarioMix) -> list[Scenario]:
    weighted = {s: w for s, w in mix.weights.items() if w > 0}
    if not weighted:
        raise ValueError("the scenario mix has no positive weight")
    total = sum(weighted.values())
    floor = 1 if n >= len(weighted) else 0
    counts = {s: max(floor, int(n * w / total)) for s, w in weighted.items()}
    by_remainder = sorted(weighted, key=lambda s: (n * weighted[s] / total) % 1, reverse=True)
    i = 0
    while sum(counts.values()) < n:
        counts[by_remainder[i % len(by_remainder)]] += 1
        i += 1
    while sum(counts.values()) > n:  # the floor of one can overshoot for small n
        largest = max(counts, key=lambda s: counts[s])
        counts[largest] -= 1
    order = [s for s, c in counts.items() for _ in range(c)]
    rng.shuffle(order)
    return order
