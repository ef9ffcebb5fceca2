"""Seeded voice-phishing calls with ground truth: which family, which split, where the scam starts.

A phishing call is an inbound call to one of the world's subscribers: the scammer speaks on
the agent channel, the subscriber answers on the customer channel. `first_cue` is the index
of the first turn the script marks as a scam cue (the template's label, not the scorer's),
so alert latency is measured against the script.
"""

from __future__ import annotations

import random
from typing import Literal

from pydantic import Field

from services.schemas import Speaker
from services.schemas.base import Record
from simulator.korean import KoreanFormatter, digits_spoken, won_spoken
from simulator.phrases.phishing import FAMILIES, FILLERS, SCAMMER, Step
from simulator.scenarios import Turn

__all__ = ["PhishingCall", "generate_phishing_calls"]

_FMT = KoreanFormatter()
_AGENCIES = ("서울중앙지검", "서울중앙지방검찰청", "수원지검", "대검찰청")
_BANKS = ("국민은행", "신한은행", "우리은행", "하나은행", "농협", "새마을금고")
_CARDS = ("신한", "삼성", "현대", "롯데", "국민")
_AMOUNTS = (300_000, 1_500_000, 3_000_000, 12_000_000, 30_000_000, 47_500_000)
_RATES = ("삼 점 오", "이 점 구", "3.5", "4.2")

Split = Literal["train", "eval"]


class PhishingCall(Record):
    """One scripted phishing call and its ground truth."""

    call_id: str
    customer_id: str
    family: str
    split: Split
    turns: list[Turn] = Field(min_length=2)
    first_cue: int = Field(ge=0, description="index of the first turn with a scam cue")


def generate_phishing_calls(
    customer_ids: list[str], *, seed: int, n: int, split: Split,
    call_id_prefix: str = "phish",
) -> list[PhishingCall]:
    """`n` phishing calls worded only from the `split` templates, families in turn."""
    if not customer_ids:
        raise ValueError("phishing calls need at least one customer")
    rng = random.Random(f"phishing:{split}:{seed}")
    families = sorted(FAMILIES)
    calls = []
    for i in range(n):
        family = families[i % len(families)]
        turns, first_cue = _script(rng, family, split)
        calls.append(PhishingCall(
            call_id=f"{call_id_prefix}-{split}-{seed}-{i:05d}",
            customer_id=rng.choice(customer_ids), family=family, split=split,
            turns=turns, first_cue=first_cue))
    return calls


def _script(rng: random.Random, family: str, split: Split) -> tuple[list[Turn], int]:
    hangul = rng.random() < 0.6
    slots = {
        "agency": rng.choice(_AGENCIES), "bank": rng.choice(_BANKS), "card": rng.choice(_CARDS),
        "amount": won_spoken(rng.choice(_AMOUNTS), hangul=hangul),
        "case_no": digits_spoken(f"{rng.randint(2019, 2026)}-{rng.randint(1000, 99999)}"),
        "rate": rng.choice(_RATES),
    }
    steps = _vary(rng, FAMILIES[family])
    turns: list[Turn] = []
    first_cue = -1
    for who, cue, wording in steps:
        text = _FMT.format(rng.choice(wording[split]), **slots)
        if who != SCAMMER and rng.random() < 0.4:
            text = rng.choice(FILLERS) + text
        if cue and first_cue < 0:
            first_cue = len(turns)
        speaker = Speaker.AGENT if who == SCAMMER else Speaker.CUSTOMER
        turns.append(Turn(speaker=speaker, text=text))
    return turns, first_cue


def _vary(rng: random.Random, steps: list[Step]) -> list[Step]:
    """Scripts differ from call to call: a skipped greeting, a skipped part of the story.

    A scam part is a cue step with the victim's reply after it; any part but two may be
    left out (the first one too), so every kind of cue sometimes opens the scam.
    """
    if rng.random() < 0.3 and not steps[0][1]:
        steps = steps[2:]  # straight to the story
    parts = [i for i, (_, cue, _) in enumerate(steps) if cue]
    keep = {i for i in parts if rng.random() >= 0.3}
    for i in parts:
        if len(keep) < 2:
            keep.add(i)
    dropped = set()
    for i in parts:
        if i not in keep:
            dropped.add(i)
            if i + 1 < len(steps) and not steps[i + 1][1]:
                dropped.add(i + 1)
    return [step for i, step in enumerate(steps) if i not in dropped]
