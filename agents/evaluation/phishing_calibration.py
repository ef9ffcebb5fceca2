"""Fitting and checking the phishing score's calibration: L2 logistic regression, Brier, bins.

Plain numpy (Newton's method on the penalised log-likelihood, which is convex, so a few
iterations reach the optimum); the bias is not penalised. The data are one row per
utterance prefix of a call: the 0/1 signal features seen so far and whether the call is a
scam whose script has reached its first cue by then.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Calibration", "ReliabilityBin", "brier_score", "fit_logistic", "reliability_bins"]


@dataclass(frozen=True)
class Calibration:
    """A fitted bias and one weight per feature name."""

    bias: float
    weights: dict[str, float]


@dataclass(frozen=True)
class ReliabilityBin:
    """Predictions in [low, high): how many, their mean, and the observed positive rate."""

    low: float
    high: float
    count: int
    mean_predicted: float
    observed: float


def fit_logistic(
    rows: Sequence[Sequence[float]], labels: Sequence[bool], names: Sequence[str], *,
    l2: float = 1.0, iterations: int = 50,
) -> Calibration:
    """Penalised maximum-likelihood logistic weights (bias unpenalised)."""
    if not rows or len(rows) != len(labels):
        raise ValueError("need as many label as feature rows, at least one")
    x = np.hstack([np.ones((len(rows), 1)), np.asarray(rows, dtype=float)])
    y = np.asarray(labels, dtype=float)
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    beta = np.zeros(x.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        gradient = x.T @ (p - y) + penalty * beta
        hessian = (x.T * (p * (1 - p))) @ x + np.diag(penalty) + 1e-9 * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return Calibration(bias=float(beta[0]),
                       weights={name: float(w) for name, w in zip(names, beta[1:], strict=True)})


def brier_score(predicted: Sequence[float], labels: Sequence[bool]) -> float:
    """Mean squared error of probabilities against 0/1 outcomes (NaN when empty)."""
    if not predicted:
        return math.nan
    return float(np.mean((np.asarray(predicted) - np.asarray(labels, dtype=float)) ** 2))


def reliability_bins(
    predicted: Sequence[float], labels: Sequence[bool], *, bins: int = 5
) -> list[ReliabilityBin]:
    """Equal-width bins over [0, 1]; empty bins are left out."""
    found: list[ReliabilityBin] = []
    for k in range(bins):
        low, high = k / bins, (k + 1) / bins
        inside = [(p, y) for p, y in zip(predicted, labels, strict=True)
                  if low <= p < high or (k == bins - 1 and p == 1.0)]
        if inside:
            found.append(ReliabilityBin(
                low=low, high=high, count=len(inside),
                mean_predicted=sum(p for p, _ in inside) / len(inside),
                observed=sum(y for _, y in inside) / len(inside)))
    return found
