"""The phishing evaluation: calibration fit, Brier and bins, recall, false alarms, latency, CLI."""

from __future__ import annotations

import math

from typer.testing import CliRunner

from agents.evaluation.phishing import LabelledCall, evaluate, fit, run_call
from agents.evaluation.phishing_calibration import brier_score, fit_logistic, reliability_bins
from services.cli.main import app

SCAM = LabelledCall("s1", "prosecutor", (
    "여보세요?", "서울중앙지검 수사관입니다. 통장이 범죄에 연루되었습니다.", "네?",
    "지금 바로 안전계좌로 옮기세요."), phishing=True, first_cue=1)
NORMAL = LabelledCall("n1", "payment", (
    "감사합니다, 고객님.", "요금 미납 문자 왔던데 지금 바로 낼게요.", "네, 안내해 드리겠습니다."),
    phishing=False)


def test_labels_follow_the_script_not_the_scorer() -> None:
    assert [SCAM.label_at(i) for i in range(4)] == [False, True, True, True]
    assert not any(NORMAL.label_at(i) for i in range(3))


def test_a_scam_alerts_at_its_first_cue_and_a_normal_call_never() -> None:
    report = evaluate([SCAM], [NORMAL], threshold=0.8)
    assert (report.recall, report.false_alarm_rate) == (1.0, 0.0)
    assert report.latencies == (0,) and report.within_one == 1.0
    assert report.per_family == {"prosecutor": (1, 1)}
    assert run_call(NORMAL, threshold=0.8).alert_at is None


def test_the_fit_gives_scam_signals_positive_weight() -> None:
    calibration = fit([SCAM] * 20 + [NORMAL] * 40)
    assert calibration.weights["authority_impersonation"] > 0
    assert calibration.weights["crime_story"] > 0
    assert calibration.bias < 0


def test_logistic_fit_recovers_a_known_log_odds() -> None:
    # 1 in 5 positive without the feature, 4 in 5 with it: bias log(1/4), weight log(16).
    rows = [[0.0]] * 5 + [[1.0]] * 5
    labels = [True] + [False] * 4 + [True] * 4 + [False]
    calibration = fit_logistic(rows, labels, ["x"], l2=0.0)
    assert math.isclose(calibration.bias, math.log(1 / 4), abs_tol=1e-6)
    assert math.isclose(calibration.weights["x"], math.log(16), abs_tol=1e-6)


def test_brier_and_reliability_bins() -> None:
    assert brier_score([1.0, 0.0], [True, False]) == 0.0
    assert brier_score([0.5, 0.5], [True, False]) == 0.25
    bins = reliability_bins([0.05, 0.1, 0.95, 1.0], [False, False, True, True], bins=5)
    assert sum(b.count for b in bins) == 4
    assert [(b.low, b.observed) for b in bins] == [(0.0, 0.0), (0.8, 1.0)]


def test_kcall_eval_phishing_prints_the_report() -> None:
    result = CliRunner().invoke(app, ["eval", "phishing", "--calls", "10", "--normal", "20",
                                      "--fit"])
    assert result.exit_code == 0, result.output
    assert "recall on held-apart scam calls" in result.output
    assert "false-alarm rate on normal calls" in result.output
    assert "weights refitted on the train wording" in result.output
