"""Per-call variation layered on a scripted call: length, speech level, mood, disfluencies.

Every draw comes from the call's own stream (`random.Random(f"variation:{seed}:{call_id}")`),
never from the calls' shared one, so the scenarios, customers, disputes and intents of a
seed stay what they were before this layer existed. No turn that states an intent is added
or dropped (its words may gain a hesitation or change speech level, its intent never), and
no slip taken back changes a fact the ground truth holds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from services.schemas import Speaker
from simulator import phrases
from simulator.call_shape import insert_before, lengthen, payment_number, shorten, with_text
from simulator.dialogue import ScriptLine
from simulator.endings import to_casual, to_formal
from simulator.phrases import variation as v
from simulator.scenarios import (
    CallLength,
    Mood,
    PlantedPii,
    Register,
    Scenario,
    ScenarioMix,
    Turn,
)

__all__ = ["VariedCall", "complaint_phrases", "speak", "vary_call"]

_CHURN = {Scenario.CANCELLATION, Scenario.PORT_OUT}


@dataclass(frozen=True)
class VariedCall:
    """The varied turns and the truth the variation decided."""

    turns: list[Turn]
    mood: Mood
    speech_level: Register
    length: CallLength
    pii: list[PlantedPii]


def speak(text: str, register: Register) -> str:
    """A 해요체 customer line at the caller's speech level."""
    if register == "formal":
        return to_formal(text)
    return to_casual(text) if register == "casual" else text


def complaint_phrases(register: Register) -> tuple[str, ...]:
    """The complaint phrases an angry caller of this speech level says (and a calm one never)."""
    return tuple(speak(p, register) for p in (*phrases.EMOTIONS, *v.ANGRY_REMARKS))


def vary_call(
    rng: random.Random,
    lines: list[ScriptLine],
    *,
    scenario: Scenario,
    casual: bool,
    mix: ScenarioMix,
) -> VariedCall:
    """Vary one call's lines (agent lines stay polite; customer lines change)."""
    pivot = any(line.role == "pivot" for line in lines)
    draw = rng.random()
    length: CallLength = "long" if draw < mix.long_call_rate else "normal"
    if not pivot and mix.long_call_rate <= draw < mix.long_call_rate + mix.short_call_rate:
        length = "short"
    formal = rng.random() < mix.formal_rate
    register: Register = "casual" if casual else "formal" if formal else "polite"
    if length == "short":
        lines = shorten(rng, lines, churn=scenario in _CHURN)
    elif scenario is Scenario.PAYMENT and rng.random() < mix.card_rate:
        lines = insert_before(lines, "answer", [payment_number(rng)])
    if length == "long":
        lines = lengthen(rng, lines, scenario)
    lines = [_at_level(line, register) for line in lines]
    complaints = complaint_phrases(register)
    angry = any(p in line.turn.text for line in _said(lines) for p in complaints)
    if not angry and rng.random() < mix.angry_rate * (3 if pivot else 1):
        angry, lines = True, _remark(rng, lines, speak(rng.choice(v.ANGRY_REMARKS), register))
    elif not angry and scenario not in _CHURN and not pivot and rng.random() < mix.calm_remark_rate:
        lines = _calm(lines, speak(rng.choice(v.CALM_REMARKS), register))
    if rng.random() < mix.hesitation_rate:
        lines = _hesitate(rng, lines, complaints)
    if rng.random() < mix.correction_rate:
        lines = _correct(rng, lines, months=scenario is not Scenario.BILLING_DISPUTE)
    pii = [PlantedPii(seq=seq, kind=kind, said=said)
           for seq, line in enumerate(lines) for kind, said in line.pii]  # fmt: skip
    return VariedCall([line.turn for line in lines], "angry" if angry else "calm", register,
                      length, pii)  # fmt: skip


def _said(lines: list[ScriptLine]) -> list[ScriptLine]:
    return [line for line in lines if _plain(line)]


def _plain(line: ScriptLine) -> bool:
    """A customer turn free to reword: it says no PII."""
    return line.turn.speaker is Speaker.CUSTOMER and not line.pii


def _at_level(line: ScriptLine, register: Register) -> ScriptLine:
    if line.turn.speaker is not Speaker.CUSTOMER or line.pii or register == "polite":
        return line  # PII turns keep their words, so the said values stay exact
    return with_text(line, speak(line.turn.text, register))


def _remark(rng: random.Random, lines: list[ScriptLine], remark: str) -> list[ScriptLine]:
    """An angry remark on a turn that states no intent, and the agent's apology after it."""
    order = ("detail", "reply", "hold", "bye", "opening")
    spots = [i for i, x in enumerate(lines) if _plain(x) and x.role in order]
    at = min(spots, key=lambda i: (order.index(lines[i].role), rng.random()))
    lines = [*lines]
    lines[at] = with_text(lines[at], lines[at].turn.text + " " + remark)
    after = next((i for i in range(at + 1, len(lines))
                  if lines[i].turn.speaker is Speaker.AGENT), None)  # fmt: skip
    if after is not None:
        apology = rng.choice(v.AGENT_APOLOGIES)
        lines[after] = with_text(lines[after], apology + " " + lines[after].turn.text)
    return lines


def _calm(lines: list[ScriptLine], remark: str) -> list[ScriptLine]:
    return [with_text(x, x.turn.text + " " + remark) if x.role == "reply" else x for x in lines]


def _hesitate(rng: random.Random, lines: list[ScriptLine], complaints: tuple[str, ...]
              ) -> list[ScriptLine]:  # fmt: skip
    """One or two customer turns start with 음… or a repeated first syllable."""
    spots = [i for i, x in enumerate(lines) if _plain(x)]
    lines = [*lines]
    for i in rng.sample(spots, k=min(len(spots), rng.choice((1, 1, 2)))):
        text = lines[i].turn.text
        first = text.split(" ", 1)[0]
        stutter = len(first) >= 2 and all("가" <= ch <= "힣" for ch in first)
        if stutter and not text.startswith(complaints) and rng.random() < 0.4:
            text = first[0] + rng.choice((", ", "… ")) + text
        else:
            text = rng.choice(v.HESITATIONS) + text
        lines[i] = with_text(lines[i], text)
    return lines


def _correct(rng: random.Random, lines: list[ScriptLine], *, months: bool) -> list[ScriptLine]:
    """One word said wrong and taken back; the word kept is the one the script had."""
    words = [*v.CORRECTIONS, *((v.MONTH_CORRECTION,) if months else ())]
    spots = [(i, word, slip) for i, x in enumerate(lines) if _plain(x)
             for word, slip in words if word in x.turn.text]  # fmt: skip
    if not spots:
        return lines
    i, word, slip = rng.choice(spots)
    said = rng.choice(v.CORRECTION_FORMS).format(slip=slip, word=word)
    lines = [*lines]
    lines[i] = with_text(lines[i], lines[i].turn.text.replace(word, said, 1))
    return lines
