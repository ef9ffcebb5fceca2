"""`kcall eval phishing`: recall, false alarms and latency of the live voice-phishing alert.

Scam calls come from the simulator's phishing templates: the weights are fitted (`--fit`)
on "train" wording and every figure is measured on "eval" wording, which no fit saw.
Normal calls for the false-alarm rate are the committed test set `sim-eval-v2` (every
customer-service scenario, 200 calls) and, one utterance per call, the 181 hand-written
utterances; the normal calls of the fit come from another simulator seed. Every text is
redacted first, as at the system's entry.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from agents.evaluation.phishing import LabelledCall, PhishingReport
    from agents.evaluation.phishing_calibration import Calibration

__all__ = ["eval_phishing", "phishing_markdown"]

_TRAIN_SEED = 13
_EVAL_SEED = 20261123
_HANDWRITTEN = Path(__file__).resolve().parents[2] / "agents/intents/data/handwritten_eval.jsonl"


def eval_phishing(
    calls: Annotated[int, typer.Option(min=5, max=5000, help="Scam calls per split.")] = 150,
    normal: Annotated[int, typer.Option(
        min=10, max=5000, help="Normal calls in the fit (another seed than the test set).")] = 300,
    threshold: Annotated[float | None, typer.Option(
        min=0.0, max=1.0, help="Alert threshold (default KCALL_AGENT_PHISHING_ALERT_THRESHOLD).")
    ] = None,
    fit_weights: Annotated[bool, typer.Option(
        "--fit", help="Refit the weights on the train wording and report with them too.")] = False,
    out: Annotated[Path | None, typer.Option(help="Also write the markdown here.")] = None,
) -> None:
    """Measure the phishing alert on held-apart scam templates and on normal calls."""
    from agents.evaluation.phishing import COMMITTED, evaluate, fit
    from services.config import get_settings

    cut = get_settings().agent.phishing_alert_threshold if threshold is None else threshold
    train, held_out, normal_train, normal_eval = _datasets(calls, normal)
    report = evaluate(held_out, normal_eval, threshold=cut)
    text = phishing_markdown(report, title="committed weights")
    if fit_weights:
        fitted = fit(train + normal_train)
        text += "\n\n" + phishing_markdown(
            evaluate(held_out, normal_eval, threshold=cut, calibration=fitted),
            title="weights refitted on the train wording")
        text += "\n\n" + _weights_table(COMMITTED, fitted)
    typer.echo(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")


def _datasets(calls: int, normal: int) -> tuple[list[LabelledCall], list[LabelledCall],
                                                list[LabelledCall], list[LabelledCall]]:
    from datetime import date

    from agents.evaluation.phishing import LabelledCall
    from agents.korean import redact
    from services.cli.eval_testset import load_testset
    from simulator import generate_calls, generate_world
    from simulator.phishing import generate_phishing_calls

    testset = load_testset()
    customers = [c.customer_id for c in testset.world.billing.customers]
    world = generate_world(seed=_TRAIN_SEED, customers=60, today=date(2025, 11, 20))

    def clean(texts: list[str]) -> tuple[str, ...]:
        return tuple(redact(t).text for t in texts)

    def scams(split: str, seed: int) -> list[LabelledCall]:
        made = generate_phishing_calls(customers, seed=seed, n=calls,
                                       split="train" if split == "train" else "eval")
        return [LabelledCall(c.call_id, c.family, clean([t.text for t in c.turns]), True,
                             c.first_cue) for c in made]

    normal_eval = [LabelledCall(c.call_id, c.scenario.value, clean([t.text for t in c.turns]),
                                False) for c in testset.calls]
    for i, line in enumerate(_HANDWRITTEN.read_text(encoding="utf-8").splitlines()):
        if line.strip():
            item = json.loads(line)
            normal_eval.append(LabelledCall(f"hand-{i}", "handwritten",
                                            clean([str(item["text"])]), False))
    normal_train = [LabelledCall(c.call_id, c.scenario.value, clean([t.text for t in c.turns]),
                                 False)
                    for c in generate_calls(world, seed=_TRAIN_SEED, n=normal)]
    return scams("train", _TRAIN_SEED), scams("eval", _EVAL_SEED), normal_train, normal_eval


def _f(value: float, digits: int = 3) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def phishing_markdown(report: PhishingReport, *, title: str) -> str:
    """The report as markdown tables."""
    ci = report.intervals()
    lat = report.latencies
    lines = [
        f"### Voice-phishing alert ({title}, threshold {report.threshold})", "",
        "| metric | value |", "|---|---|",
        f"| recall on held-apart scam calls | {_f(report.recall)} ({report.alerted}/"
        f"{report.phishing_calls}; 95% CI {_f(ci['recall'][0])}-{_f(ci['recall'][1])}) |",
        f"| false-alarm rate on normal calls | {_f(report.false_alarm_rate)} "
        f"({report.false_alarms}/{report.normal_calls}; 95% CI "
        f"{_f(ci['false_alarm_rate'][0])}-{_f(ci['false_alarm_rate'][1])}) |",
        f"| alerts within one utterance of the first cue | {_f(report.within_one)} |",
        f"| latency in utterances (mean / max) | "
        f"{_f(sum(lat) / len(lat), 2) if lat else 'n/a'} / {max(lat) if lat else 'n/a'} |",
        f"| Brier score, every utterance prefix | {_f(report.brier, 4)} |",
        f"| scorer time per utterance p50 / p95 / max | {_f(report.utterance_us[0], 0)} / "
        f"{_f(report.utterance_us[1], 0)} / {_f(report.utterance_us[2], 0)} µs |",
        "", "| family | alerted / calls |", "|---|---|",
        *(f"| {name} | {a} / {n} |" for name, (a, n) in report.per_family.items()),
        "", "| predicted | prefixes | mean predicted | observed scam rate |", "|---|---|---|---|",
        *(f"| {b.low:.1f}-{b.high:.1f} | {b.count} | {b.mean_predicted:.3f} | {b.observed:.3f} |"
          for b in report.bins),
    ]
    if report.false_alarm_groups:
        lines += ["", "False alarms by scenario: " + ", ".join(
            f"{k} {v}" for k, v in sorted(report.false_alarm_groups.items()))]
    return "\n".join(lines)


def _weights_table(committed: Calibration, fitted: Calibration) -> str:
    rows = ["| signal | committed | refitted |", "|---|---|---|",
            f"| (bias) | {committed.bias:.2f} | {fitted.bias:.2f} |"]
    rows += [f"| {name} | {committed.weights.get(name, 0.0):.2f} | {w:.2f} |"
             for name, w in fitted.weights.items()]
    return "\n".join(rows)
