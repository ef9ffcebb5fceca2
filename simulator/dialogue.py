"""Assemble one call's turns from phrase templates: greeting, intent, identity, body, closing."""

from __future__ import annotations

import random
from dataclasses import dataclass

from services.schemas import Intent, Speaker
from simulator import phrases
from simulator.korean import KoreanFormatter
from simulator.scenarios import SCENARIO_INTENT, PiiKind, Scenario, ScenarioMix, Turn

__all__ = ["DialoguePlan", "ScriptLine", "build_lines", "build_turns"]

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


@dataclass(frozen=True)
class ScriptLine:
    """A turn with what the variation layer needs to know: its role and the PII said in it."""

    turn: Turn
    role: str  # greeting, vague, go_ahead, opening, verify, pii, ask, detail, answer, ...
    pii: tuple[tuple[PiiKind, str], ...] = ()  # (kind, the value as said)


def _say(rng: random.Random, templates: tuple[str, ...], slots: dict[str, str]) -> str:
    return _FMT.format(rng.choice(templates), **slots)


def build_turns(rng: random.Random, plan: DialoguePlan, mix: ScenarioMix) -> list[Turn]:
    """Turns for one call (7 to 12); agent and customer alternate."""
    return [line.turn for line in build_lines(rng, plan, mix)]


def build_lines(rng: random.Random, plan: DialoguePlan, mix: ScenarioMix) -> list[ScriptLine]:
    """`build_turns` with each turn's role and PII (the same draws, so the same turns)."""
    s, key = plan.slots, plan.scenario.value
    lines = [ScriptLine(Turn(speaker=Speaker.AGENT, text=_say(rng, phrases.GREETINGS, s)),
                        "greeting")]  # fmt: skip
    role = "greeting"
    pii: tuple[tuple[PiiKind, str], ...] = ()

    def agent(text: str) -> None:
        lines.append(ScriptLine(Turn(speaker=Speaker.AGENT, text=text), role, pii))

    def customer(text: str, intent: Intent | None = None) -> None:
        lines.append(ScriptLine(Turn(speaker=Speaker.CUSTOMER, text=text, intent=intent), role,
                                pii))  # fmt: skip

    opening = _say(rng, plan.opening, s)
    if rng.random() < mix.filler_rate:
        opening = rng.choice(phrases.FILLERS) + opening
    if plan.scenario in _COMPLAINTS and rng.random() < 0.35:
        opening += " " + rng.choice(phrases.EMOTIONS)
    vague = rng.random() < mix.vague_opening_rate
    if vague:  # some callers greet first and say why only when prompted
        role = "vague"
        customer(_say(rng, phrases.VAGUE_OPENINGS, s))
        role = "go_ahead"
        agent(_say(rng, phrases.GO_AHEAD, s))
    role = "opening"
    customer(opening, SCENARIO_INTENT[plan.scenario])

    ask = _say(rng, phrases.AGENT_ASKS.get(key, phrases.AGENT_ASKS["default"]), s)
    if not vague and rng.random() < mix.pii_rate:
        by_birth = rng.random() < 0.5
        role = "verify"
        agent(_say(rng, phrases.VERIFY_BIRTH if by_birth else phrases.VERIFY_PHONE, s))
        role = "pii"
        pii = (
            (("name", s["name"]), ("birth_date", s["birth"]))
            if by_birth
            else (("phone", s["phone"]),)
        )
        customer(_say(rng, phrases.PII_BIRTH if by_birth else phrases.PII_PHONE, s))
        role = "ask"
        verified = rng.choice(phrases.VERIFIED)  # the same draw `_say` makes
        pii = (("name", s["name"]),) if "{name" in verified else ()
        agent(_FMT.format(verified, **s) + " " + ask)
        pii = ()
    else:
        role = "ask"
        agent(_say(rng, phrases.VERIFY_SKIP, s) + " " + ask)

    role = "detail"
    detail = _say(rng, phrases.DETAILS.get(key, phrases.DETAILS["default"]), s)
    customer(rng.choice(phrases.FILLERS) + detail if rng.random() < mix.filler_rate / 2 else detail)

    role = "answer"
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
        role = "pivot"
        customer(pivot, plan.pivot)
        role = "retention_offer"
        agent(_say(rng, phrases.RETENTION_OFFERS, s))
        role = "reply"
        customer(_say(rng, phrases.RETENTION_REPLIES, s))
    elif plan.scenario in _CHURN:
        role = "reply"
        customer(_say(rng, phrases.RETENTION_REPLIES, s))
    else:
        role = "reply"
        customer(_say(rng, phrases.CASUAL_THANKS if plan.casual else phrases.THANKS, s))

    role = "closing"
    agent(_say(rng, phrases.CLOSINGS, s))
    if rng.random() < 0.7:
        role = "bye"
        customer(_say(rng, phrases.BYES, s))
    return lines
