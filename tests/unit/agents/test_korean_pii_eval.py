"""The labeled PII set meets the bar: recall >= 0.98 at <= 2% false positives."""

from __future__ import annotations

import pytest

from agents.korean.pii_eval import evaluate_pii, load_cases


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_eval_set_meets_the_bar(split: str) -> None:
    cases = load_cases(split=split)
    report = evaluate_pii(cases)
    assert report.cases == len(cases) > 50
    assert report.recall >= 0.98
    assert report.span_false_positive_rate <= 0.02
    assert report.token_false_positive_rate <= 0.02


def test_eval_set_is_large_and_has_hard_negatives() -> None:
    cases = load_cases()
    assert len(cases) >= 200
    assert sum(not c.spans for c in cases) >= 60
    assert {k.value for c in cases for *_, k in c.spans} >= {
        "rrn", "frn", "phone", "card", "account", "email", "passport", "driver_license", "name",
    }


def test_report_counts_misses_and_false_positives() -> None:
    from agents.korean.kinds import PiiKind
    from agents.korean.pii_eval import PiiCase

    cases = [
        PiiCase("miss", "번호는 비밀이에요", ((4, 6, PiiKind.PHONE),)),
        PiiCase("fp", "주소 010-1234-5678", ()),
    ]
    report = evaluate_pii(cases)
    assert report.recall == 0.0
    assert report.false_positive_spans == 1
    assert report.negative_case_rate == 1.0
