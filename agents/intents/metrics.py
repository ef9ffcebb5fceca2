"""Classification metrics for the intent tier: per-class P/R/F1, confusion, calibration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from agents.domain import Intent

__all__ = ["ClassMetrics", "IntentReport", "expected_calibration_error", "intent_report"]


@dataclass(frozen=True)
class ClassMetrics:
    """Precision, recall and F1 of one intent, with its number of true examples."""

    intent: Intent
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class IntentReport:
    """How well a classifier did on one labelled set.

    `confusion[i][j]` counts examples of `labels[i]` predicted as `labels[j]`. `ece` is the
    expected calibration error of the top-1 confidence (15 equal-width bins).
    """

    examples: int
    accuracy: float
    macro_f1: float
    ece: float
    mean_confidence: float
    labels: tuple[Intent, ...]
    per_class: tuple[ClassMetrics, ...]
    confusion: tuple[tuple[int, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (intents as their string values)."""
        data = asdict(self)
        data["labels"] = [label.value for label in self.labels]
        data["per_class"] = [{**row, "intent": row["intent"].value} for row in data["per_class"]]
        data["confusion"] = [list(row) for row in self.confusion]
        return data

    def top_confusions(self, limit: int = 5) -> list[tuple[Intent, Intent, int]]:
        """The most frequent (true, predicted) mistakes, most frequent first."""
        pairs = [
            (self.labels[i], self.labels[j], count)
            for i, row in enumerate(self.confusion)
            for j, count in enumerate(row)
            if i != j and count
        ]
        return sorted(pairs, key=lambda pair: -pair[2])[:limit]


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], *, bins: int = 15
) -> float:
    """Weighted mean |accuracy - confidence| over equal-width confidence bins."""
    conf = np.asarray(confidences, dtype=np.float64)
    hits = np.asarray(correct, dtype=np.float64)
    if conf.size == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            error += mask.mean() * abs(hits[mask].mean() - conf[mask].mean())
    return float(error)


def intent_report(
    truth: Sequence[Intent], predicted: Sequence[Intent], confidences: Sequence[float]
) -> IntentReport:
    """Build the report; labels are every intent seen in truth or predictions, enum order."""
    seen = set(truth) | set(predicted)
    labels = tuple(intent for intent in Intent if intent in seen)
    names = [label.value for label in labels]
    y_true = [t.value for t in truth]
    y_pred = [p.value for p in predicted]
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=names, zero_division=0
    )
    present = [i for i, label in enumerate(labels) if label in set(truth)]
    per_class = tuple(
        ClassMetrics(
            intent=labels[i],
            precision=float(precision[i]),
            recall=float(recall[i]),
            f1=float(f1[i]),
            support=int(support[i]),
        )
        for i in range(len(labels))
    )
    matrix = confusion_matrix(y_true, y_pred, labels=names)
    correct = [t == p for t, p in zip(truth, predicted, strict=True)]
    return IntentReport(
        examples=len(y_true),
        accuracy=float(np.mean(correct)) if correct else 0.0,
        # Macro over intents that occur in the truth: a class only ever predicted is a
        # precision loss of the others, not an extra zero in the average.
        macro_f1=float(np.mean([f1[i] for i in present])) if present else 0.0,
        ece=expected_calibration_error(confidences, correct),
        mean_confidence=float(np.mean(confidences)) if len(confidences) else 0.0,
        labels=labels,
        per_class=per_class,
        confusion=tuple(tuple(int(v) for v in row) for row in matrix),
    )
