"""Markdown tables of the evaluation report: per-pass figures, per-class F1, confusion, PII."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from agents.evaluation.calls import CallSetReport
from agents.intents import IntentReport
from agents.korean.pii_eval import PiiReport

__all__ = ["confusion_table", "counts_cell", "fmt", "pass_rows", "per_class_table",
           "pii_tables"]


def fmt(value: float, digits: int = 3) -> str:
    """A figure with `digits` decimals, or "n/a" for NaN (nothing to measure)."""
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def counts_cell(counts: dict[str, int]) -> str:
    """Named counts in one cell ("timeout 2, http_500 1"), "-" when there are none."""
    return ", ".join(f"{name} {n}" for name, n in counts.items()) or "-"


def pass_rows(passes: Sequence[tuple[str, CallSetReport, float]]) -> list[str]:
    """One row per figure, one column per (name, call-set report, ms per event)."""
    rows: list[tuple[str, Callable[[CallSetReport, float], str]]] = [
        ("calls / customer utterances", lambda r, _: f"{r.calls} / {r.utterances}"),
        ("intent macro-F1, utterances with a label",
         lambda r, _: f"{fmt(r.utterance_intents.macro_f1)} (n={r.utterance_intents.examples})"),
        ("intent accuracy, utterances", lambda r, _: fmt(r.utterance_intents.accuracy)),
        ("intent macro-F1, call primary intent", lambda r, _: fmt(r.call_intents.macro_f1)),
        ("dispute decision accuracy [95% CI]", lambda r, _: (
            f"{fmt(r.dispute.accuracy)} [{fmt(r.dispute.interval[0], 2)}, "
            f"{fmt(r.dispute.interval[1], 2)}] ({r.dispute.correct}/{r.dispute.calls})")),
        ("credit error: mean / max abs (won)", lambda r, _: (
            f"{fmt(r.dispute.credit.mean_absolute_krw, 0)} / {r.dispute.credit.max_absolute_krw}")),
        ("credit amount exactly right", lambda r, _: fmt(r.dispute.credit.exact_rate)),
        ("dispute decisions on non-dispute calls (with money)",
         lambda r, _: f"{r.dispute.spurious} ({r.dispute.spurious_money})"),
        ("churn AUC (max score per call)", lambda r, _: fmt(r.churn.auc)),
        ("churn precision / recall at flag threshold", lambda r, _: (
            f"{fmt(r.churn.flag.precision)} / {fmt(r.churn.flag.recall)} "
            f"({r.churn.positives} churn calls)")),
        ("churn false-positive rate at threshold",
         lambda r, _: fmt(r.churn.flag.false_positive_rate)),
        ("share of utterances decided by the LLM tier", lambda r, _: fmt(r.llm_share)),
        ("share below the LLM threshold (asked, or would be)",
         lambda r, _: fmt(r.llm_asked_share)),
        ("why the LLM tier's answer was not used", lambda r, _: counts_cell(r.llm_fallbacks)),
        ("graph time per event (ms)", lambda _, ms: f"{ms:.1f}" if ms else "-"),
    ]
    header = "| figure | " + " | ".join(name for name, _, _ in passes) + " |"
    lines = [header, "|---" * (len(passes) + 1) + "|"]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(r, ms) for _, r, ms in passes) + " |")
    return lines


def per_class_table(reports: dict[str, IntentReport]) -> list[str]:
    """F1 per intent in every named report; precision and recall of the first."""
    names = list(reports)
    lines = ["| intent | " + " | ".join(f"F1 {n}" for n in names) + " | P / R (first) | n |",
             "|---" * (len(names) + 3) + "|"]
    first = reports[names[0]]
    for row in first.per_class:
        f1s = []
        for name in names:
            match = [c for c in reports[name].per_class if c.intent is row.intent]
            f1s.append(fmt(match[0].f1, 2) if match else "-")
        lines.append(f"| {row.intent.value} | " + " | ".join(f1s)
                     + f" | {fmt(row.precision, 2)} / {fmt(row.recall, 2)} | {row.support} |")
    return lines


def confusion_table(report: IntentReport) -> list[str]:
    """The confusion matrix, intents numbered in the columns (rows true, columns predicted)."""
    codes = [f"{i:02d}" for i in range(len(report.labels))]
    lines = ["| true \\ predicted | " + " | ".join(codes) + " |",
             "|---" * (len(codes) + 1) + "|"]
    for code, label, row in zip(codes, report.labels, report.confusion, strict=True):
        cells = [str(v) if v else "." for v in row]
        lines.append(f"| {code} {label.value} | " + " | ".join(cells) + " |")
    return lines


def pii_tables(pii: dict[str, PiiReport]) -> list[str]:
    """Recall and false positives per split, then recall per PII kind."""
    lines = ["| split | cases | PII spans | recall | span FP rate | token FP rate "
             "| clean cases redacted |", "|---|---|---|---|---|---|---|"]
    for split, r in pii.items():
        lines.append(f"| {split} | {r.cases} | {r.expected_spans} | {fmt(r.recall)} "
                     f"| {fmt(r.span_false_positive_rate)} | {fmt(r.token_false_positive_rate)} "
                     f"| {r.negative_cases_redacted}/{r.negative_cases} |")
    kinds = sorted({k for r in pii.values() for k in r.per_kind})
    lines += ["", "| kind | " + " | ".join(f"recall {s}" for s in pii) + " |",
              "|---" * (len(pii) + 1) + "|"]
    for kind in kinds:
        cells = []
        for r in pii.values():
            score = r.per_kind.get(kind)
            cells.append(f"{fmt(score.recall)} ({score.covered}/{score.expected})"
                         if score else "-")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return lines
