"""The phishing alert's data sets from the simulator, and the `kcall eval phishing` report.

Scam calls come from the simulator's phishing templates: the weights are fitted (`fit`)
on "train" wording and every figure is measured on "eval" wording, which no fit saw.
Normal calls for the false-alarm rate are the committed test set `sim-eval-v2` (every
customer-service scenario, 200 calls) and, one utterance per call, the 181 hand-written
utterances; the normal calls of the fit come from another simulator seed. Every text is
redacted first, as at the system's entry.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from agents.evaluation.phishing import COMMITTED, LabelledCall, evaluate, fit
from agents.evaluation.phishing_markdown import phishing_markdown, weights_table
from agents.korean import redact
from simulator import generate_calls, generate_world
from simulator.phishing import generate_phishing_calls
from simulator.testset import load_testset

__all__ = ["PhishingSets", "phishing_datasets", "phishing_report"]

_TRAIN_SEED = 13
_EVAL_SEED = 20261123
_HANDWRITTEN = Path(__file__).resolve().parents[2] / "agents/intents/data/handwritten_eval.jsonl"

PhishingSets = tuple[list[LabelledCall], list[LabelledCall], list[LabelledCall],
                     list[LabelledCall]]
"""Scam calls (train wording, eval wording), then normal calls (fit, evaluation)."""


def _clean(texts: list[str]) -> tuple[str, ...]:
    return tuple(redact(t).text for t in texts)


def phishing_datasets(calls: int, normal: int) -> PhishingSets:
    """`calls` scam calls per wording split and `normal` normal calls for the fit."""
    testset = load_testset()
    customers = [c.customer_id for c in testset.world.billing.customers]
    world = generate_world(seed=_TRAIN_SEED, customers=60, today=date(2025, 11, 20))

    def scams(split: str, seed: int) -> list[LabelledCall]:
        made = generate_phishing_calls(customers, seed=seed, n=calls,
                                       split="train" if split == "train" else "eval")
        return [LabelledCall(c.call_id, c.family, _clean([t.text for t in c.turns]), True,
                             c.first_cue) for c in made]

    normal_eval = [LabelledCall(c.call_id, c.scenario.value, _clean([t.text for t in c.turns]),
                                False) for c in testset.calls]
    for i, line in enumerate(_HANDWRITTEN.read_text(encoding="utf-8").splitlines()):
        if line.strip():
            item = json.loads(line)
            normal_eval.append(LabelledCall(f"hand-{i}", "handwritten",
                                            _clean([str(item["text"])]), False))
    normal_train = [LabelledCall(c.call_id, c.scenario.value, _clean([t.text for t in c.turns]),
                                 False)
                    for c in generate_calls(world, seed=_TRAIN_SEED, n=normal)]
    return scams("train", _TRAIN_SEED), scams("eval", _EVAL_SEED), normal_train, normal_eval


def phishing_report(*, calls: int, normal: int, threshold: float, refit: bool) -> str:
    """The markdown report on the committed weights, and with refitted ones when `refit`."""
    train, held_out, normal_train, normal_eval = phishing_datasets(calls, normal)
    report = evaluate(held_out, normal_eval, threshold=threshold)
    text = phishing_markdown(report, title="committed weights")
    if refit:
        fitted = fit(train + normal_train)
        text += "\n\n" + phishing_markdown(
            evaluate(held_out, normal_eval, threshold=threshold, calibration=fitted),
            title="weights refitted on the train wording")
        text += "\n\n" + weights_table(COMMITTED, fitted)
    return text
