"""Intent figures per labelled template set, clean and with ASR-style errors, with overlap.

Each set goes straight to the fast tier (no graph), once as written and once through
`agents.intents.noise`, with the share of its texts found verbatim in the training data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agents.evaluation.scores import verbatim_share
from agents.intents import IntentClassifier, IntentReport, LabeledUtterance, evaluate, with_noise

__all__ = ["TemplateSetScore", "score_sets", "template_sets_markdown"]


@dataclass(frozen=True)
class TemplateSetScore:
    """One labelled set through the fast tier and its verbatim overlap with training."""

    name: str
    description: str
    training_overlap: float
    report: IntentReport


def score_sets(model: IntentClassifier,
               sets: Mapping[str, tuple[str, Sequence[LabeledUtterance]]], *,
               noise_seed: int, seen: frozenset[str]) -> list[TemplateSetScore]:
    """Every set (name -> description, examples), clean then with errors from `noise_seed`."""
    scores: list[TemplateSetScore] = []
    for name, (description, examples) in sets.items():
        noisy = with_noise(list(examples), seed=noise_seed)
        for suffix, variant in (("clean", list(examples)), ("asr_noise", noisy)):
            overlap = verbatim_share([e.text for e in variant], seen)
            scores.append(TemplateSetScore(f"{name} {suffix}", description, overlap,
                                           evaluate(model, variant)))
    return scores


def template_sets_markdown(scores: Sequence[TemplateSetScore]) -> list[str]:
    """The comparison table, one row per set and text form."""
    lines = ["| set | n | verbatim in training | accuracy | macro-F1 | top confusions |",
             "|---|---|---|---|---|---|"]
    for score in scores:
        report = score.report
        confusions = ", ".join(f"{t.value}→{p.value} ×{n}"
                               for t, p, n in report.top_confusions(3))
        lines.append(f"| {score.name} | {report.examples} | {score.training_overlap:.0%} | "
                     f"{report.accuracy:.3f} | {report.macro_f1:.3f} | {confusions or '-'} |")
    return lines
