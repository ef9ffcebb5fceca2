"""Evaluation scoring on small hand-computed cases: AUC, threshold counts, money error, calls."""

from __future__ import annotations

import math

import pytest

from agents.evaluation import (
    CallOutcome,
    UtteranceOutcome,
    accuracy,
    binary_at_threshold,
    credit_error,
    rank_auc,
    score_calls,
    wilson_interval,
)
from services.schemas import DisputeOutcome, Intent, IntentTier


def test_rank_auc_counts_correctly_ordered_pairs() -> None:
    # positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs ordered right
    assert rank_auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == pytest.approx(0.75)
    assert rank_auc([0.1, 0.2, 0.9], [False, False, True]) == 1.0
    assert rank_auc([0.9, 0.2, 0.1], [False, False, True]) == 0.0


def test_rank_auc_ties_count_half_and_one_class_is_undefined() -> None:
    assert rank_auc([0.5, 0.5], [True, False]) == pytest.approx(0.5)
    # positive 0.5 ties one negative (half) and beats the other: 1.5 / 2
    assert rank_auc([0.5, 0.5, 0.1], [True, False, False]) == pytest.approx(0.75)
    assert math.isnan(rank_auc([0.1, 0.9], [True, True]))


def test_binary_at_threshold_is_inclusive() -> None:
    counts = binary_at_threshold([0.2, 0.6, 0.7, 0.9], [False, False, True, True], 0.6)
    assert (counts.true_positives, counts.false_positives) == (2, 1)
    assert (counts.false_negatives, counts.true_negatives) == (0, 1)
    assert counts.precision == pytest.approx(2 / 3)
    assert counts.recall == 1.0
    assert counts.false_positive_rate == pytest.approx(0.5)


def test_nothing_flagged_has_undefined_precision() -> None:
    counts = binary_at_threshold([0.1, 0.2], [True, False], 0.9)
    assert math.isnan(counts.precision)
    assert counts.recall == 0.0


def test_credit_error_mean_max_and_exact_share() -> None:
    error = credit_error([1000, 5000, 0], [1000, 3000, 500])
    assert error.count == 3
    assert error.mean_absolute_krw == pytest.approx(2500 / 3)
    assert error.max_absolute_krw == 2000
    assert error.exact_rate == pytest.approx(1 / 3)
    assert math.isnan(credit_error([], []).mean_absolute_krw)


def test_accuracy_and_wilson_interval() -> None:
    assert accuracy(["a", "b", "c", "d"], ["a", "b", "x", "d"]) == 0.75
    low, high = wilson_interval(0, 10)
    assert low == 0.0
    assert high == pytest.approx(1.96**2 / (10 + 1.96**2))
    low, high = wilson_interval(36, 40)
    assert low < 0.9 < high < 1.0
    with pytest.raises(ValueError):
        accuracy([1], [1, 2])


def _turn(seq: int, expected: Intent | None, found: Intent, tier: IntentTier = IntentTier.FAST,
          confidence: float = 0.9) -> UtteranceOutcome:
    asked = tier is IntentTier.LLM or confidence < 0.55
    return UtteranceOutcome(seq=seq, expected=expected, found=found, confidence=confidence,
                            tier=tier, llm_asked=asked,
                            fallback="llm_disabled" if asked and tier is IntentTier.FAST else None)


def test_score_calls_on_three_calls() -> None:
    dispute = CallOutcome(
        call_id="c1", expected_intent=Intent.BILLING_DISPUTE, found_intent=Intent.BILLING_DISPUTE,
        found_confidence=0.9,
        utterances=(_turn(1, Intent.BILLING_DISPUTE, Intent.BILLING_DISPUTE),
                    _turn(3, None, Intent.OTHER, confidence=0.4)),
        churn_expected=False, churn_score=0.2, churn_flagged=False,
        expected_outcome=DisputeOutcome.CREDIT_ISSUED, found_outcome=DisputeOutcome.CREDIT_ISSUED,
        expected_credit_krw=11_000, found_credit_krw=11_000)
    churn = CallOutcome(
        call_id="c2", expected_intent=Intent.CANCELLATION, found_intent=Intent.CANCELLATION,
        found_confidence=0.8,
        utterances=(_turn(1, Intent.CANCELLATION, Intent.CANCELLATION, IntentTier.LLM, 0.5),),
        churn_expected=True, churn_score=0.7, churn_flagged=True)
    missed = CallOutcome(
        call_id="c3", expected_intent=Intent.ROAMING, found_intent=Intent.DEVICE,
        found_confidence=0.6, utterances=(_turn(1, Intent.ROAMING, Intent.DEVICE),),
        churn_expected=False, churn_score=0.65, churn_flagged=True,
        found_outcome=DisputeOutcome.EXPLAINED)

    report = score_calls([dispute, churn, missed], churn_threshold=0.6)

    assert (report.calls, report.utterances) == (3, 4)
    assert report.utterance_intents.examples == 3  # the unlabelled turn is not scored
    assert report.utterance_intents.accuracy == pytest.approx(2 / 3)
    # billing_dispute 1.0, cancellation 1.0, roaming 0.0 (device only predicted: not averaged)
    assert report.call_intents.macro_f1 == pytest.approx(2 / 3)
    assert report.dispute.calls == 1 and report.dispute.accuracy == 1.0
    assert report.dispute.credit.mean_absolute_krw == 0.0
    assert report.dispute.spurious == 1
    assert report.dispute.spurious_money == 0  # an explanation moves no money
    assert report.churn.positives == 1
    assert report.churn.auc == 1.0  # 0.7 above both 0.2 and 0.65
    assert report.churn.flag.precision == pytest.approx(0.5)
    assert report.churn.flag.recall == 1.0
    assert report.churn.flag_mismatches == 0
    assert report.llm_share == pytest.approx(1 / 4)
    assert report.llm_asked_share == pytest.approx(2 / 4)
    assert report.llm_fallbacks == {"llm_disabled": 1}
