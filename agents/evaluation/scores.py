"""Scoring functions for the evaluation harness: AUC, threshold metrics, credit error, CIs.

Intent macro-F1, per-class scores and confusion come from `agents.intents.metrics`; this
module adds what that one lacks: binary ranking and threshold scores (churn), outcome
accuracy and money error (disputes), and the uncertainty of a rate on a small sample.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

__all__ = [
    "BinaryAtThreshold",
    "CreditError",
    "accuracy",
    "binary_at_threshold",
    "credit_error",
    "rank_auc",
    "ratio",
    "verbatim_share",
    "wilson_interval",
]


def ratio(numerator: int, denominator: int) -> float:
    """`numerator / denominator`, NaN when the denominator is zero (nothing to measure)."""
    return numerator / denominator if denominator else math.nan


def verbatim_share(texts: Sequence[str], seen: Collection[str]) -> float:
    """Share of `texts` that occur exactly in `seen` (e.g. the training texts); NaN if empty."""
    return ratio(sum(text in seen for text in texts), len(texts))


def accuracy(expected: Sequence[object], found: Sequence[object]) -> float:
    """Share of positions where `found` equals `expected`; NaN for empty input."""
    if len(expected) != len(found):
        raise ValueError("expected and found differ in length")
    return ratio(sum(e == f for e, f in zip(expected, found, strict=True)), len(expected))


def rank_auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """ROC AUC as the Mann-Whitney statistic: P(score of a positive > score of a negative).

    Tied scores get their average rank, so a tie between a positive and a negative counts
    one half. NaN when either class is absent (AUC is undefined then).
    """
    if len(scores) != len(labels):
        raise ValueError("scores and labels differ in length")
    positives = sum(labels)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return math.nan
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2 + 1  # 1-based average rank of the tie group
        start = end + 1
    positive_rank_sum = sum(rank for rank, label in zip(ranks, labels, strict=True) if label)
    return (positive_rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


@dataclass(frozen=True)
class BinaryAtThreshold:
    """Confusion counts of `score >= threshold` against the truth, and the usual rates."""

    threshold: float
    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int

    @property
    def precision(self) -> float:
        """Flagged items that were truly positive (NaN when nothing was flagged)."""
        return ratio(self.true_positives, self.true_positives + self.false_positives)

    @property
    def recall(self) -> float:
        """Positive items that were flagged (NaN when there are no positives)."""
        return ratio(self.true_positives, self.true_positives + self.false_negatives)

    @property
    def false_positive_rate(self) -> float:
        """Negative items that were flagged (NaN when there are no negatives)."""
        return ratio(self.false_positives, self.false_positives + self.true_negatives)


def binary_at_threshold(
    scores: Sequence[float], labels: Sequence[bool], threshold: float
) -> BinaryAtThreshold:
    """Count hits and misses of the rule `score >= threshold`."""
    if len(scores) != len(labels):
        raise ValueError("scores and labels differ in length")
    flagged = [score >= threshold for score in scores]
    pairs = list(zip(flagged, labels, strict=True))
    return BinaryAtThreshold(
        threshold=threshold,
        true_positives=sum(f and t for f, t in pairs),
        false_positives=sum(f and not t for f, t in pairs),
        false_negatives=sum(not f and t for f, t in pairs),
        true_negatives=sum(not f and not t for f, t in pairs),
    )


@dataclass(frozen=True)
class CreditError:
    """How far issued or proposed credits were from the correct amounts, in won."""

    count: int
    mean_absolute_krw: float
    max_absolute_krw: int
    exact_rate: float


def credit_error(expected_krw: Sequence[int], found_krw: Sequence[int]) -> CreditError:
    """Mean and worst absolute error, and the share of exactly right amounts."""
    if len(expected_krw) != len(found_krw):
        raise ValueError("expected and found differ in length")
    errors = [abs(e - f) for e, f in zip(expected_krw, found_krw, strict=True)]
    return CreditError(
        count=len(errors),
        mean_absolute_krw=ratio(sum(errors), len(errors)),
        max_absolute_krw=max(errors, default=0),
        exact_rate=ratio(sum(error == 0 for error in errors), len(errors)),
    )


def wilson_interval(successes: int, total: int, *, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% by default); (NaN, NaN) when empty.

    Rates over a few dozen calls are uncertain; the report prints this interval beside
    them so a 0.97 on 36 disputes is not read as better than a 0.95 on 400.
    """
    if total == 0:
        return math.nan, math.nan
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - margin), min(1.0, centre + margin)
