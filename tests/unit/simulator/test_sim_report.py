"""Load-report aggregation and markdown rendering."""

from __future__ import annotations

import math

from services.schemas import DisputeOutcome, Intent
from simulator.report import CallResult, percentile, render_markdown, summarize


def test_percentile_interpolates() -> None:
    assert percentile([1, 2, 3, 4, 5], 50) == 3
    assert percentile([10, 20], 50) == 15
    assert math.isnan(percentile([], 95))
    assert percentile(list(range(101)), 99) == 99


def test_summarize_accuracy_churn_and_latency() -> None:
    results = [
        CallResult(
            "a",
            "billing_dispute",
            Intent.BILLING_DISPUTE,
            Intent.BILLING_DISPUTE,
            churn_expected=False,
            churn_flagged=False,
            expected_outcome=DisputeOutcome.CREDIT_ISSUED,
            found_outcome=DisputeOutcome.CREDIT_ISSUED,
            expected_credit_krw=3300,
            found_credit_krw=3300,
            latencies_ms={"agent": [10.0, 20.0]},
            tokens=100,
        ),
        CallResult(
            "b",
            "cancellation",
            Intent.CANCELLATION,
            Intent.PORT_OUT,
            churn_expected=True,
            churn_flagged=True,
            latencies_ms={"agent": [30.0]},
        ),
        CallResult(
            "c",
            "roaming",
            Intent.ROAMING,
            Intent.ROAMING,
            churn_expected=False,
            churn_flagged=True,
            latencies_ms={"asr": [400.0]},
        ),
        CallResult(
            "d",
            "roaming",
            Intent.ROAMING,
            None,
            churn_expected=True,
            churn_flagged=False,
            completed=False,
        ),
    ]
    report = summarize(results, wall_s=30.0, extras={"dlq messages": 0})
    assert report.calls == 4 and report.completed == 3
    assert report.calls_per_minute == 6.0
    assert report.intent_accuracy == 2 / 3
    assert report.dispute_calls == 1 and report.dispute_outcome_accuracy == 1.0
    assert report.churn_precision == 0.5 and report.churn_recall == 1.0
    assert report.latency["agent"].count == 3 and report.latency["agent"].p50 == 20.0
    text = render_markdown(report)
    assert "| agent | 3 |" in text and "dlq messages" in text and "intent accuracy" in text
