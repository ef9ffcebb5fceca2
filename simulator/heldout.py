"""Labelled utterances from the held-apart template family (evaluation only, never training).

Drawn from `random.Random(f"heldout:{seed}")`, a stream of its own, over templates that
neither the training utterances nor the simulator's calls use (`simulator.phrases.heldout`).
"""

from __future__ import annotations

import random

from services.schemas import Intent
from simulator import slots
from simulator.korean import KoreanFormatter
from simulator.phrases.heldout import HELDOUT_OPENINGS

__all__ = ["heldout_templates", "heldout_utterances"]


def heldout_templates() -> dict[Intent, tuple[str, ...]]:
    """The held-apart templates per intent."""
    return {Intent(intent): templates for intent, templates in HELDOUT_OPENINGS.items()}


def heldout_utterances(seed: int, per_template: int = 2) -> list[tuple[str, Intent]]:
    """`per_template` fillings of every held-apart template, deduplicated on text.

    Every template is used (not a random pick), so each intent counts all of its phrasings;
    a template without slots yields one text however many fillings are asked for.
    """
    rng = random.Random(f"heldout:{seed}")
    fmt = KoreanFormatter()
    seen: set[str] = set()
    out: list[tuple[str, Intent]] = []
    for intent, templates in heldout_templates().items():
        for template in templates:
            for _ in range(per_template):
                text = fmt.format(template, **slots.random_slots(rng))
                if text not in seen:
                    seen.add(text)
                    out.append((text, intent))
    return out
