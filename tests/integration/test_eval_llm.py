"""`kcall eval llm` on the real graph and the real LLM server: every engine graded alike."""

from __future__ import annotations

import math

import pytest

from agents.evaluation.summaries import scores_markdown
from pipelines.evaluation.summary_engines import RULES, grade_engines, prepare_cases
from services.config import Settings
from simulator.testset import load_testset

pytestmark = pytest.mark.integration


def test_rules_and_a_real_model_are_scored_on_the_same_calls(llm_base_url: str) -> None:
    settings = Settings()
    settings = settings.model_copy(update={
        "llm": settings.llm.model_copy(update={"base_url": llm_base_url})})
    testset = load_testset(limit=2)
    cases = prepare_cases(settings, testset.calls, testset.world)
    assert [c.request.summary for c in cases] == [c.rules for c in cases]
    rules, model = grade_engines(settings, cases, [RULES, "server"])
    print(scores_markdown([rules, model]))
    assert (rules.calls, rules.accepted, rules.pii_free, rules.polite) == (2, 1.0, 1.0, 1.0)
    assert model.calls == 2
    assert model.tokens_per_summary > 0  # the model ran on every call and was counted
    assert sum(model.rejected.values()) == round((1 - model.accepted) * 2)
    if model.accepted > 0:  # what passed the checks carries no PII by construction
        assert model.pii_free == 1.0
    assert math.isnan(model.latency_p50_ms) is False
