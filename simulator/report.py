"""Load-test report: accuracy against ground truth and latency percentiles, as a markdown table."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from services.schemas import DisputeOutcome, Intent

__all__ = ["CallResult", "LoadReport", "Percentiles", "percentile", "render_markdown", "summarize"]


@dataclass(frozen=True)
class CallResult:
    """What the system concluded for one call, beside the ground truth."""

    call_id: str
    scenario: str
    expected_intent: Intent
    found_intent: Intent | None
    churn_expected: bool
    churn_flagged: bool
    expected_outcome: DisputeOutcome | None = None
    found_outcome: DisputeOutcome | None = None
    expected_credit_krw: int = 0
    found_credit_krw: int = 0
    latencies_ms: Mapping[str, Sequence[float]] = field(default_factory=dict)
    tokens: int = 0
    completed: bool = True
    model_summarized: bool = False


@dataclass(frozen=True)
class Percentiles:
    """Latency distribution of one stage."""

    count: int
    p50: float
    p95: float
    p99: float
    max: float


@dataclass(frozen=True)
class LoadReport:
    """Aggregates over a run."""

    calls: int
    completed: int
    wall_s: float
    calls_per_minute: float
    intent_accuracy: float
    dispute_calls: int
    dispute_outcome_accuracy: float
    credit_exact_rate: float
    churn_precision: float
    churn_recall: float
    churn_f1: float
    tokens_per_call: float
    latency: dict[str, Percentiles]
    model_summaries: int = 0
    extras: dict[str, float] = field(default_factory=dict)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between ranks; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _ratio(num: int, den: int) -> float:
    return num / den if den else math.nan


def summarize(
    results: Sequence[CallResult], *, wall_s: float, extras: Mapping[str, float] | None = None
) -> LoadReport:
    """Aggregate per-call results of a run that took `wall_s` seconds."""
    done = [r for r in results if r.completed]
    disputes = [r for r in done if r.expected_outcome is not None]
    true_pos = sum(r.churn_expected and r.churn_flagged for r in done)
    flagged = sum(r.churn_flagged for r in done)
    expected = sum(r.churn_expected for r in done)
    precision, recall = _ratio(true_pos, flagged), _ratio(true_pos, expected)
    f1 = (2 * precision * recall / (precision + recall)) if precision + recall > 0 else math.nan
    samples: dict[str, list[float]] = {}
    for result in done:
        for stage, values in result.latencies_ms.items():
            samples.setdefault(stage, []).extend(values)
    latency = {
        stage: Percentiles(len(v), percentile(v, 50), percentile(v, 95), percentile(v, 99), max(v))
        for stage, v in sorted(samples.items())
        if v
    }
    return LoadReport(
        calls=len(results),
        completed=len(done),
        wall_s=wall_s,
        calls_per_minute=len(done) / wall_s * 60 if wall_s > 0 else math.nan,
        intent_accuracy=_ratio(sum(r.found_intent == r.expected_intent for r in done), len(done)),
        dispute_calls=len(disputes),
        dispute_outcome_accuracy=_ratio(
            sum(r.found_outcome == r.expected_outcome for r in disputes), len(disputes)
        ),
        credit_exact_rate=_ratio(
            sum(r.found_credit_krw == r.expected_credit_krw for r in disputes), len(disputes)
        ),
        churn_precision=precision,
        churn_recall=recall,
        churn_f1=f1,
        tokens_per_call=_ratio(sum(r.tokens for r in done), len(done)),
        latency=latency,
        model_summaries=sum(r.model_summarized for r in done),
        extras=dict(extras or {}),
    )


def _fmt(value: float, unit: str = "") -> str:
    return (
        "n/a"
        if math.isnan(value)
        else f"{value:.3f}{unit}"
        if abs(value) < 10
        else f"{value:,.1f}{unit}"
    )


def render_markdown(report: LoadReport) -> str:
    """The report as markdown: a summary table and a latency table per stage."""
    rows = [
        ("calls (completed / sent)", f"{report.completed} / {report.calls}"),
        ("wall time", _fmt(report.wall_s, " s")),
        ("calls per minute", _fmt(report.calls_per_minute)),
        ("intent accuracy (primary)", _fmt(report.intent_accuracy)),
        (
            f"dispute outcome accuracy ({report.dispute_calls} calls)",
            _fmt(report.dispute_outcome_accuracy),
        ),
        ("credit amount exact", _fmt(report.credit_exact_rate)),
        (
            "churn precision / recall / F1",
            " / ".join(
                _fmt(v) for v in (report.churn_precision, report.churn_recall, report.churn_f1)
            ),
        ),
        ("model-written summaries (calls)", f"{report.model_summaries} / {report.completed}"),
        ("model tokens per call (audited, answered or not)", _fmt(report.tokens_per_call)),
        *((name, _fmt(value)) for name, value in sorted(report.extras.items())),
    ]
    lines = ["| metric | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), ""]
    lines += ["| stage | n | p50 ms | p95 ms | p99 ms | max ms |", "|---|---|---|---|---|---|"]
    for stage, p in report.latency.items():
        lines.append(
            f"| {stage} | {p.count} | {p.p50:.1f} | {p.p95:.1f} | {p.p99:.1f} | {p.max:.1f} |"
        )
    return "\n".join(lines) + "\n"
