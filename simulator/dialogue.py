"""Assemble one call's turns from phrase templates: greeting, intent, identity, body, closing."""

from __future__ import annotations

import random
from dataclasses import dataclass

from services.schemas import Intent, Speaker
from simulator import phrases
from simulator.korean import KoreanFormatter
from simulator.scenarios import SCENARIO_INTENT, Scenario, ScenarioMix, Turn

__all__ = ["DialoguePlan", "build_turns"]

_FMT = KoreanFormatter()
_COMPLAINTS = {Scenario.BILLING_DISPUTE, Scenario.NETWORK_QUALITY, Scenario.BILLING_INQUIRY}
_CHURN = {Scenario.CANCELLATION, Scenario.PORT_OUT}


@dataclass
class DialoguePlan:
    """What the call must contain; the builder chooses the words."""

    scenario: Scenario
    slots: dict[str, str]
    opening: tuple[str, ...]  # candidate templates for the intent-revealing first utterance
    answer_key: str  # DISPUTE_RESOLUTIONS outcome for disputes, else the scenario
    pivot: Intent | None = None  # a churn intent raised after the first one
    casual: bool = False


def _say(rng: random.Random, templates: tuple[str, ...], slots: dict[str, str]) -> str:
    return _FMT.format(rng.choice(templates), **slots)


def build_turns(rng: random.Random, plan: DialoguePlan, mix: ScenarioMix) -> list[Turn]:
    """Turns for one call (7 to 12); agent and customer alternate."""
    s, key = plan.slots, plan.scenario.value
    turns = [Turn(speaker=Speaker.AGENT, text=_say(rng, phrases.GREETINGS, s))]

    def agent(text: str) -> None:
        turns.append(Turn(speaker=Speaker.AGENT, text=text))

    def customer(text: str, intent: Intent | None = None) -> None:
        turns.append(Turn(speaker=Speaker.CUSTOMER, text=text, intent=intent))

    opening = _say(rng, plan.opening, s)
    if rng.random() < mix.filler_rate:
        opening = rng.choice(phrases.FILLERS) + opening
    if plan.scenario in _COMPLAINTS and rng.random() < 0.35:
        opening += " " + rng.choice(phrases.EMOTIONS)
    vague = rng.random() < mix.vague_opening_rate
    if vague:  # some callers greet first and say why only when prompted
        customer(_say(rng, phrases.VAGUE_OPENINGS, s))
        agent(_say(rng, phrases.GO_AHEAD, s))
    customer(opening, SCENARIO_INTENT[plan.scenario])

    ask = _say(rng, phrases.AGENT_ASKS.get(key, phrases.AGENT_ASKS["default"]), s)
    if not vague and rng.random() < mix.pii_rate:
        by_birth = rng.random() < 0.5
        agent(_say(rng, phrases.VERIFY_BIRTH if by_birth else phrases.VERIFY_PHONE, s))
        customer(_say(rng, phrases.PII_BIRTH if by_birth else phrases.PII_PHONE, s))
        agent(_say(rng, phrases.VERIFIED, s) + " " + ask)
    else:
        agent(_say(rng, phrases.VERIFY_SKIP, s) + " " + ask)

    detail = _say(rng, phrases.DETAILS.get(key, phrases.DETAILS["default"]), s)
    customer(rng.choice(phrases.FILLERS) + detail if rng.random() < mix.filler_rate / 2 else detail)

    if plan.scenario is Scenario.BILLING_DISPUTE:
        agent(_say(rng, phrases.DISPUTE_RESOLUTIONS[plan.answer_key], s))
    elif plan.scenario in _CHURN:
        agent(
            _say(rng, phrases.AGENT_ANSWERS[key], s) + " " + _say(rng, phrases.RETENTION_OFFERS, s)
        )
    else:
        agent(_say(rng, phrases.AGENT_ANSWERS.get(key, phrases.AGENT_ANSWERS["default"]), s))

    if plan.pivot is not None:
        pivot = _say(rng, phrases.CHURN_PIVOTS[plan.pivot.value], s)
        if rng.random() < 0.5:
            pivot = rng.choice(phrases.EMOTIONS) + " " + pivot
        customer(pivot, plan.pivot)
        agent(_say(rng, phrases.RETENTION_OFFERS, s))
        customer(_say(rng, phrases.RETENTION_REPLIES, s))
    elif plan.scenario in _CHURN:
        customer(_say(rng, phrases.RETENTION_REPLIES, s))
    else:
        customer(_say(rng, phrases.CASUAL_THANKS if plan.casual else phrases.THANKS, s))

    agent(_say(rng, phrases.CLOSINGS, s))
    if rng.random() < 0.7:
        customer(_say(rng, phrases.BYES, s))
    return turns
