"""Labeled customer utterances for the intent classifier, from the call-script templates.

Drawn from `random.Random(f"train:{seed}")`, a stream disjoint from the calls' (see
simulator.scripts for why accuracy on simulated calls is still optimistic).
"""

from __future__ import annotations

import random

from services.schemas import Intent
from simulator import phrases, slots
from simulator.korean import KoreanFormatter
from simulator.scenarios import SCENARIO_INTENT, Scenario

__all__ = ["training_utterances"]


def training_utterances(seed: int, n: int) -> list[tuple[str, Intent]]:
    """`n` labeled customer utterances, intents balanced, from the call-script templates."""
    rng = random.Random(f"train:{seed}")
    fmt = KoreanFormatter()
    pools: dict[Intent, list[str]] = {}
    for scenario in Scenario:
        opening = phrases.OPENINGS[scenario.value]
        pools[SCENARIO_INTENT[scenario]] = [*opening["polite"], *opening["casual"]]
    for case in phrases.DISPUTE_OPENINGS.values():
        for templates in case.values():
            pools[Intent.BILLING_DISPUTE].extend(templates)
    for intent in (Intent.CANCELLATION, Intent.PORT_OUT):
        pools[intent].extend(phrases.CHURN_PIVOTS[intent.value])
    intents = sorted(pools)
    out: list[tuple[str, Intent]] = []
    for i in range(n):
        intent = intents[i % len(intents)]
        text = fmt.format(rng.choice(pools[intent]), **slots.random_slots(rng))
        if rng.random() < 0.35:
            text = rng.choice(phrases.FILLERS) + text
        if rng.random() < 0.1:
            text += " " + rng.choice(phrases.EMOTIONS)
        out.append((text, intent))
    rng.shuffle(out)
    return out
