"""The shape of a varied call: which turns it has (short, normal, long, a number said).

Part of the per-call variation layer (`simulator.variation`), drawing from the same per-call
stream; the turns added here state no intent, and the ones left out are optional.
"""

from __future__ import annotations

import random
from dataclasses import replace

from services.schemas import Speaker
from simulator import phrases
from simulator.dialogue import ScriptLine
from simulator.korean import KoreanFormatter, digits_spoken
from simulator.phrases import variation as v
from simulator.scenarios import PiiKind, Scenario, Turn

__all__ = ["insert_before", "lengthen", "payment_number", "shorten", "with_text"]

_FMT = KoreanFormatter()
_SHORT_KEEP = {"greeting", "opening", "answer", "reply", "closing", "bye"}


def with_text(line: ScriptLine, text: str) -> ScriptLine:
    """The line with its turn's text replaced."""
    return replace(line, turn=line.turn.model_copy(update={"text": text}))


def _agent(text: str, role: str) -> ScriptLine:
    return ScriptLine(Turn(speaker=Speaker.AGENT, text=text), role)


def _customer(text: str, role: str, pii: tuple[tuple[PiiKind, str], ...] = ()) -> ScriptLine:
    return ScriptLine(Turn(speaker=Speaker.CUSTOMER, text=text), role, pii)


def insert_before(
    lines: list[ScriptLine], before: str, pairs: list[list[ScriptLine]]
) -> list[ScriptLine]:
    """The pairs' lines inserted before the first line of role `before`."""
    at = next(i for i, line in enumerate(lines) if line.role == before)
    return [*lines[:at], *(line for pair in pairs for line in pair), *lines[at:]]


def shorten(rng: random.Random, lines: list[ScriptLine], *, churn: bool) -> list[ScriptLine]:
    """Leave out the optional turns: a vague start, the identity check, the detail."""
    kept = [line for line in lines if line.role in _SHORT_KEEP]
    if churn or kept[-1].role != "bye" or rng.random() < 0.6:
        return kept  # 5 or 6 turns
    # 4 turns: the agent answers and closes in one breath, the caller only says goodbye.
    answer, closing = (next(x for x in kept if x.role == r) for r in ("answer", "closing"))
    merged = with_text(answer, answer.turn.text + " " + closing.turn.text)
    return [kept[0], kept[1], merged, kept[-1]]


def lengthen(rng: random.Random, lines: list[ScriptLine], scenario: Scenario) -> list[ScriptLine]:
    """Add intent-free pairs (holds, a repeat, an aside, wrap-up) to reach 14 to 20 turns."""
    detail = next(line for line in lines if line.role == "detail")
    repeat = v.REPEAT_PREFIX + _unfilled(detail.turn.text)
    before = [[_agent(v.REPEAT_ASK, "hold"), _customer(repeat, "hold")]]
    before += [[_agent(a, "hold"), _customer(c, "hold")] for a, c in v.HOLD_PAIRS]
    if scenario.value in v.LOANWORD_ASIDES:
        aside = rng.choice(v.LOANWORD_ASIDES[scenario.value])
        before.insert(1, [_agent(v.ASIDE_PROMPT, "hold"), _customer(aside, "hold")])
    after = [[_agent(a, "wrap"), _customer(c, "wrap")] for a, c in v.WRAP_PAIRS]
    target = rng.randint(14, 20)
    k = (target - len(lines)) // 2
    k += len(lines) + 2 * k < 14
    chosen = sorted(rng.sample(range(len(before) + len(after)), k=min(k, len(before) + len(after))))
    pool = before + after
    lines = insert_before(lines, "answer", [pool[i] for i in chosen if i < len(before)])
    return insert_before(lines, "closing", [pool[i] for i in chosen if i >= len(before)])


def _unfilled(text: str) -> str:
    for filler in phrases.FILLERS:
        if text.startswith(filler):
            return text[len(filler) :]
    return text


def payment_number(rng: random.Random) -> list[ScriptLine]:
    """The agent asks for a card or account number and the caller says it."""
    hangul = rng.random() < 0.4
    if rng.random() < 0.5:
        number = "-".join(f"{rng.randrange(10_000):04d}" for _ in range(4))
        said = digits_spoken(number) if hangul else number
        text = _FMT.format(rng.choice(v.CARD_SAYS), issuer=rng.choice(v.CARD_ISSUERS), card=said)
        return [_agent(rng.choice(v.CARD_ASKS), "payment"),
                _customer(text, "payment", (("card", said),))]  # fmt: skip
    number = f"{rng.randrange(100, 1000)}-{rng.randrange(10, 100)}-{rng.randrange(10**6):06d}"
    said = digits_spoken(number) if hangul else number
    text = _FMT.format(rng.choice(v.ACCOUNT_SAYS), bank=rng.choice(v.BANKS), account=said)
    return [_agent(rng.choice(v.ACCOUNT_ASKS), "payment"),
            _customer(text, "payment", (("account", said),))]  # fmt: skip
