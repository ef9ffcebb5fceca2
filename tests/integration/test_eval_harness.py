"""`kcall eval` end to end on ten committed test calls: real graph, SQLite, trained model.

The fast tier is the real classifier trained on the hand-written seed set (cached in pytest's
cache dir, as the agent-stage test does); the LLM and Whisper are off, which the harness
reports as such.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agents.evaluation.report_json import report_json
from agents.evaluation.report_markdown import report_markdown
from agents.evaluation.targets import targets
from agents.intents import IntentClassifier
from pipelines.evaluation.harness import EvalOptions, run_evaluation
from services.config.settings import LlmSettings, PathSettings, Settings
from simulator.testset import load_testset

pytestmark = pytest.mark.integration


def _unit(value: float | None) -> bool:
    return value is not None and 0.0 <= value <= 1.0


def test_committed_testset_is_intact_and_disjoint_from_training() -> None:
    testset = load_testset()  # raises when the files do not match their digest
    assert testset.meta["version"] == "sim-eval-v2"
    assert testset.meta["seed"] not in (7, 13)  # the demo's and the training seed
    assert len(testset.calls) == testset.meta["calls"] == 200
    targets_seen = [c.truth.expected_dispute.line_ids[-1] for c in testset.calls
                    if c.truth.expected_dispute]
    assert len(targets_seen) == len(set(targets_seen)) >= 30


def test_harness_reports_every_figure(intent_model: IntentClassifier, tmp_path: Path) -> None:
    settings = Settings(llm=LlmSettings(enabled=False), paths=PathSettings(data=tmp_path))
    report = run_evaluation(settings, EvalOptions(calls=10, clips_dir=None),
                            intents=intent_model)

    assert [p.name for p in report.passes] == ["clean", "asr_noise"]
    for result in report.passes:
        r = result.report
        assert r.calls == 10 and r.utterances > 10
        for value in (r.utterance_intents.macro_f1, r.call_intents.macro_f1,
                      r.dispute.accuracy, r.churn.auc, r.churn.flag.precision,
                      r.churn.flag.recall, r.llm_share, r.llm_asked_share):
            assert _unit(value), (result.name, value)
        assert r.dispute.calls >= 1 and r.churn.positives >= 1
        assert r.llm_share == 0.0  # the LLM tier is off
        assert r.churn.flag_mismatches == 0
    assert report.handwritten["clean"].examples >= 150
    assert all(_unit(t.measured) for t in targets(report))
    assert _unit(report.pii["heldout"].recall)
    held = {s.name: s for s in report.template_sets}
    assert set(held) == {"sim-templates clean", "sim-templates asr_noise",
                         "held-apart clean", "held-apart asr_noise"}
    assert held["held-apart clean"].training_overlap == 0.0
    assert held["sim-templates clean"].training_overlap == report.training_overlap
    assert all(_unit(s.report.macro_f1) and s.report.examples > 0 for s in held.values())

    text = report_markdown(report)
    for heading in ("## Targets", "## Simulator calls through the graph", "## LLM tier",
                    "## ASR output", "## PII redaction", "Confusion, hand-written clean",
                    "## Intents: simulator templates vs held-apart templates"):
        assert heading in text
    for label in ("intent macro-F1, utterances with a label", "dispute decision accuracy",
                  "credit error", "churn AUC", "churn precision / recall at flag threshold",
                  "share of utterances decided by the LLM tier"):
        row = next(line for line in text.splitlines() if line.startswith(f"| {label}"))
        assert re.search(r"\d\.\d{3}|\d+ / \d+", row), row

    data = json.loads(json.dumps(report_json(report)))
    assert {t["name"] for t in data["targets"]} == {t.name for t in targets(report)}
    assert _unit(data["passes"][0]["report"]["churn"]["auc"])
    assert data["template_sets"][2]["training_overlap"] == 0.0
