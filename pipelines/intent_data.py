"""The intent model's training data: the hand-written seed set plus simulator utterances.

Lives here (not in the CLI) because the worker's composition root, `kcall intent build`,
`kcall train intents` and the evaluation harness all train on exactly this set. Light to
import (the CLI reads its constants for `--help`): the simulator loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agents.intents.dataset import LabeledUtterance

__all__ = ["SIM_UTTERANCES", "training_examples"]

SIM_UTTERANCES = 1500


def training_examples(*, seed: int, sim_utterances: int = SIM_UTTERANCES) -> list[LabeledUtterance]:
    """The seed set plus `sim_utterances` simulator utterances, deduplicated on text."""
    from agents.intents.dataset import LabeledUtterance, seed_utterances
    from simulator.scripts import training_utterances

    examples = list(seed_utterances())
    if sim_utterances > 0:
        examples += [
            LabeledUtterance(text, intent)
            for text, intent in training_utterances(seed, sim_utterances)
        ]
    unique: dict[str, LabeledUtterance] = {}
    for example in examples:
        unique.setdefault(example.text, example)  # the hand-written label wins on a clash
    return list(unique.values())
