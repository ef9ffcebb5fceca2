"""Held-apart intent evaluation: zero verbatim overlap with training, and how sets are scored."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from agents.evaluation import verbatim_share
from agents.evaluation.templates import template_sets_markdown
from agents.intents import IntentPrediction
from pipelines.evaluation.heldout import (
    heldout_examples,
    score_template_sets,
    simulator_examples,
    training_texts,
)
from services.schemas import Intent
from simulator.testset import load_testset


class _AlwaysOther:
    """A fake fast tier that answers `other` to everything."""

    def predict_many(self, texts: Sequence[str]) -> list[IntentPrediction]:
        return [IntentPrediction(Intent.OTHER, 0.5, ((Intent.OTHER, 0.5),)) for _ in texts]


def test_held_apart_family_never_occurs_verbatim_in_training() -> None:
    seen = training_texts()
    examples = heldout_examples()
    assert len(examples) >= 15 * 6
    assert {e.intent for e in examples} == set(Intent)
    assert [e.text for e in examples if e.text in seen] == []
    assert verbatim_share([e.text for e in examples], seen) == 0.0


def test_verbatim_share_counts_exact_matches_only() -> None:
    share = verbatim_share(["요금 문의", "요금 문의요", "해지"], {"요금 문의", "해지"})
    assert share == pytest.approx(2 / 3)
    assert math.isnan(verbatim_share([], {"해지"}))


def test_each_set_is_scored_clean_and_noisy_with_its_own_overlap() -> None:
    calls = load_testset(limit=6).calls
    sim = simulator_examples(calls)
    seen = frozenset(e.text for e in sim[:3])
    scores = score_template_sets(_AlwaysOther(), calls, noise_seed=3, seen=seen)  # type: ignore[arg-type]
    by_name = {s.name: s for s in scores}
    assert list(by_name) == ["sim-templates clean", "sim-templates asr_noise",
                             "held-apart clean", "held-apart asr_noise"]
    assert by_name["sim-templates clean"].training_overlap == pytest.approx(
        sum(e.text in seen for e in sim) / len(sim))
    assert by_name["sim-templates clean"].training_overlap > 0
    assert by_name["held-apart clean"].training_overlap == 0.0
    held = heldout_examples()
    for name, examples in (("sim-templates clean", sim), ("held-apart clean", held)):
        report = by_name[name].report
        assert report.examples == len(examples)
        assert report.accuracy == pytest.approx(
            sum(e.intent is Intent.OTHER for e in examples) / len(examples))
    table = template_sets_markdown(scores)
    assert len(table) == 2 + len(scores)
    assert table[3].startswith(f"| sim-templates asr_noise | {len(sim)} |")
