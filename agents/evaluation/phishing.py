"""Evaluating the live phishing alert: recall, false alarms, latency in utterances, calibration.

Calls arrive as plain labelled text (the CLI turns simulator calls into these), are fed to
the scorer utterance by utterance exactly as the graph node does, and the first utterance
whose score reaches the threshold is the alert. Latency is counted in utterances after the
script's first scam cue (0: the alert came with that utterance; the target is at most 1).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from agents.evaluation.phishing_calibration import (
    Calibration,
    ReliabilityBin,
    brier_score,
    fit_logistic,
    reliability_bins,
)
from agents.evaluation.scores import ratio, wilson_interval
from agents.policies.phishing import (
    BIAS,
    CARRY_CHARS,
    SIGNALS,
    WEIGHTS,
    Cue,
    assess_utterance,
    feature_vector,
    score_cues,
)

__all__ = ["CallRun", "LabelledCall", "PhishingReport", "evaluate", "fit", "run_call"]

COMMITTED = Calibration(bias=BIAS, weights=dict(WEIGHTS))


@dataclass(frozen=True)
class LabelledCall:
    """One call's redacted utterances in order and its truth (`first_cue` for scams only)."""

    call_id: str
    group: str  # the scam family or the customer-service scenario
    texts: tuple[str, ...]
    phishing: bool
    first_cue: int | None = None

    def label_at(self, index: int) -> bool:
        """Whether the call is a scam whose script has reached its first cue by `index`."""
        return self.phishing and self.first_cue is not None and index >= self.first_cue


@dataclass(frozen=True)
class CallRun:
    """The score after each utterance, the features behind it, and the alert's index."""

    call: LabelledCall
    scores: tuple[float, ...]
    features: tuple[tuple[float, ...], ...]
    alert_at: int | None
    seconds: tuple[float, ...]  # scorer time per utterance


def run_call(call: LabelledCall, *, threshold: float,
             calibration: Calibration = COMMITTED) -> CallRun:
    """Feed the call to the scorer one utterance at a time, as the graph node does."""
    evidence: tuple[Cue, ...] = ()
    carry = ""
    scores, features, seconds = [], [], []
    for seq, text in enumerate(call.texts):
        started = time.perf_counter()
        evidence = assess_utterance(text, seq=seq, evidence=evidence, carry=carry).evidence
        carry = text[-CARRY_CHARS:]
        seconds.append(time.perf_counter() - started)
        scores.append(score_cues(evidence, bias=calibration.bias, weights=calibration.weights))
        features.append(tuple(feature_vector(evidence)))
    alert_at = next((i for i, s in enumerate(scores) if s >= threshold), None)
    return CallRun(call, tuple(scores), tuple(features), alert_at, tuple(seconds))


def fit(calls: Sequence[LabelledCall], *, l2: float = 1.0) -> Calibration:
    """Fit the signal weights on every utterance prefix of `calls`."""
    rows: list[list[float]] = []
    labels: list[bool] = []
    for call in calls:
        run = run_call(call, threshold=2.0)
        rows += [list(f) for f in run.features]
        labels += [call.label_at(i) for i in range(len(call.texts))]
    return fit_logistic(rows, labels, SIGNALS, l2=l2)


@dataclass(frozen=True)
class PhishingReport:
    """Everything `kcall eval phishing` prints."""

    threshold: float
    phishing_calls: int
    alerted: int
    normal_calls: int
    false_alarms: int
    latencies: tuple[int, ...]  # alert index - first cue, per alerted scam call
    per_family: dict[str, tuple[int, int]]  # family -> (alerted, calls)
    false_alarm_groups: dict[str, int]
    brier: float
    bins: list[ReliabilityBin]
    utterance_us: tuple[float, float, float]  # scorer time per utterance: p50, p95, max

    @property
    def recall(self) -> float:
        """Scam calls alerted."""
        return ratio(self.alerted, self.phishing_calls)

    @property
    def false_alarm_rate(self) -> float:
        """Normal calls alerted."""
        return ratio(self.false_alarms, self.normal_calls)

    @property
    def within_one(self) -> float:
        """Alerted scam calls whose alert came at most one utterance after the first cue."""
        return ratio(sum(0 <= lat <= 1 for lat in self.latencies), len(self.latencies))

    def intervals(self) -> dict[str, tuple[float, float]]:
        """95% Wilson intervals of recall and the false-alarm rate."""
        return {"recall": wilson_interval(self.alerted, self.phishing_calls),
                "false_alarm_rate": wilson_interval(self.false_alarms, self.normal_calls)}


def evaluate(phishing: Sequence[LabelledCall], normal: Sequence[LabelledCall], *,
             threshold: float, calibration: Calibration = COMMITTED) -> PhishingReport:
    """Score held-out scam calls and normal calls against the truth."""
    scams = [run_call(c, threshold=threshold, calibration=calibration) for c in phishing]
    others = [run_call(c, threshold=threshold, calibration=calibration) for c in normal]
    families: dict[str, list[int]] = {}
    for run in scams:
        counts = families.setdefault(run.call.group, [0, 0])
        counts[0] += run.alert_at is not None
        counts[1] += 1
    predicted = [s for run in scams + others for s in run.scores]
    labels = [run.call.label_at(i) for run in scams + others for i in range(len(run.scores))]
    seconds = sorted(s for run in scams + others for s in run.seconds)
    return PhishingReport(
        threshold=threshold, phishing_calls=len(scams),
        alerted=sum(r.alert_at is not None for r in scams), normal_calls=len(others),
        false_alarms=sum(r.alert_at is not None for r in others),
        latencies=tuple(r.alert_at - (r.call.first_cue or 0) for r in scams
                        if r.alert_at is not None),
        per_family={k: (v[0], v[1]) for k, v in sorted(families.items())},
        false_alarm_groups=dict(Counter(r.call.group for r in others if r.alert_at is not None)),
        brier=brier_score(predicted, labels), bins=reliability_bins(predicted, labels),
        utterance_us=(_quantile(seconds, 0.5) * 1e6, _quantile(seconds, 0.95) * 1e6,
                      (seconds[-1] if seconds else math.nan) * 1e6),
    )


def _quantile(ordered: Sequence[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else math.nan
