"""The README's evaluation targets, each checked on every set it applies to."""

from __future__ import annotations

import math
from dataclasses import dataclass

from agents.evaluation.report import EvalReport

__all__ = ["Target", "targets"]


@dataclass(frozen=True)
class Target:
    """One stated goal, the figure it is checked on, and whether it was met."""

    name: str
    measured: float
    goal: str
    met: bool


def _at_least(name: str, value: float, goal: float) -> Target:
    return Target(name, value, f">= {goal:.2f}", not math.isnan(value) and value >= goal)


def targets(report: EvalReport) -> list[Target]:
    """The README's targets, each checked on every set it applies to."""
    clean, noisy = report.passes[0].report, report.passes[1].report
    out = [
        _at_least("intent macro-F1, clean, hand-written", report.handwritten["clean"].macro_f1,
                  0.90),
        _at_least("intent macro-F1, clean, simulator utterances",
                  clean.utterance_intents.macro_f1, 0.90),
        _at_least("intent macro-F1, ASR-style, hand-written",
                  report.handwritten["asr_noise"].macro_f1, 0.85),
        _at_least("intent macro-F1, ASR-style, simulator utterances",
                  noisy.utterance_intents.macro_f1, 0.85),
        _at_least(f"dispute decision accuracy, clean (n={clean.dispute.calls})",
                  clean.dispute.accuracy, 0.95),
        _at_least(f"dispute decision accuracy, ASR-style (n={noisy.dispute.calls})",
                  noisy.dispute.accuracy, 0.95),
    ]
    for split, pii in report.pii.items():
        out.append(_at_least(f"PII recall, {split} cases", pii.recall, 0.98))
        fp = max(pii.span_false_positive_rate, pii.token_false_positive_rate)
        out.append(Target(f"PII false positives, {split} (worse of span and token rate)", fp,
                          "<= 0.02", fp <= 0.02))
    return out
