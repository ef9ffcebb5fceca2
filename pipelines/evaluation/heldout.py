"""Intent figures on the simulator's own templates vs the held-apart template family.

The simulator test set's labelled utterances are filled from the same templates as the
training utterances, so many occur verbatim in training; the held-apart family
(`simulator.phrases.heldout`) says the same requests in phrasing training never saw. Both
go straight to the fast tier (no graph), clean and with ASR-style text errors, each with the
share of its texts found verbatim in the training data (`agents.evaluation.templates`).
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.evaluation.templates import TemplateSetScore, score_sets
from agents.intents import IntentClassifier, LabeledUtterance
from simulator import ScriptedCall

__all__ = ["HELDOUT_SEED", "heldout_examples", "score_template_sets", "simulator_examples",
           "training_texts"]

HELDOUT_SEED = 20261206


def training_texts() -> frozenset[str]:
    """Every text the production intent model is trained on."""
    from agents.intents.store import DEFAULT_SEED
    from pipelines.intent_data import training_examples

    return frozenset(example.text for example in training_examples(seed=DEFAULT_SEED))


def simulator_examples(calls: Sequence[ScriptedCall]) -> list[LabeledUtterance]:
    """The labelled customer utterances of the simulator test calls."""
    return [LabeledUtterance(turn.text, turn.intent) for call in calls for turn in call.turns
            if turn.intent is not None]


def heldout_examples(seed: int = HELDOUT_SEED) -> list[LabeledUtterance]:
    """The held-apart family, every template filled twice."""
    from simulator.heldout import heldout_utterances

    return [LabeledUtterance(text, intent) for text, intent in heldout_utterances(seed)]


def score_template_sets(model: IntentClassifier, calls: Sequence[ScriptedCall], *,
                        noise_seed: int, heldout_seed: int = HELDOUT_SEED,
                        seen: frozenset[str] | None = None) -> list[TemplateSetScore]:
    """Both sets, clean and with ASR-style errors (`noise_seed`), scored on `model`."""
    sets = {
        "sim-templates": ("simulator test set's labelled utterances (training templates)",
                          simulator_examples(calls)),
        "held-apart": (f"held-apart templates, seed {heldout_seed} (never trained on)",
                       heldout_examples(heldout_seed)),
    }
    return score_sets(model, sets, noise_seed=noise_seed,
                      seen=training_texts() if seen is None else seen)
