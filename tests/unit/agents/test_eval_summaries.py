"""Scoring summaries: rejections counted by reason, quality over the accepted ones."""

from __future__ import annotations

import math

from agents.evaluation.summaries import SummaryTrial, score_engine
from services.schemas import CallSummary, DisputeOutcome, Intent, RevisionSource


def _summary(text: str) -> CallSummary:
    return CallSummary(call_id="c1", summary=text, customer_request="로밍 요금 정정을 요청하셨습니다.",
                       resolution="-", follow_up="-", sentiment="-", churn_risk="-",
                       churn_score=0.0, source=RevisionSource.MODEL, utterances=3)


def test_scores_count_rejections_and_grade_what_was_accepted() -> None:
    good = SummaryTrial(intents=[Intent.BILLING_DISPUTE, Intent.ROAMING],
                        outcome=DisputeOutcome.CREDIT_ISSUED, amount_krw=11000,
                        summary=_summary("청구 이의 건으로 11,000원을 감면해 드렸습니다."),
                        latency_ms=100, tokens=300)
    vague = SummaryTrial(intents=[Intent.BILLING_DISPUTE], outcome=DisputeOutcome.CREDIT_ISSUED,
                         amount_krw=11000, summary=_summary("요금 문의를 도와드렸습니다."),
                         latency_ms=300, tokens=280)
    rejected = SummaryTrial(intents=[Intent.PLAN_CHANGE], outcome=None, amount_krw=0,
                            summary=None, rejected="amount_not_in_rules:50000", tokens=310,
                            latency_ms=200)
    broken = SummaryTrial(intents=[Intent.OTHER], outcome=None, amount_krw=0, summary=None,
                          rejected="schema_mismatch")
    score = score_engine("m", [good, vague, rejected, broken])
    assert score.calls == 4 and score.accepted == 0.5 and score.valid_schema == 0.75
    assert score.rejected == {"amount_not_in_rules": 1, "schema_mismatch": 1}
    assert score.amount_exact == 0.5 and score.decision_stated == 0.5
    assert score.intents_named == (1.0 + 0.0) / 2  # both named in the first, neither in the second
    assert score.tokens_per_summary == (300 + 280 + 310 + 0) / 4
    assert not math.isnan(score.latency_p95_ms)
