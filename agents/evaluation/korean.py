"""Score Korean redaction and normalization on spoken call-center utterances.

Two sets: the hand-written `tests/fixtures/korean_spoken_v1.jsonl` (kept apart from the
code's own examples; a dev part and a holdout part) and a seeded sample from the generator in
`agents.korean.spoken_gen`, which reads random identifiers and amounts aloud. For each:
PII recall and false positives (the `agents.korean.pii_eval` measures), and per value form
the share of expected values read exactly, plus values read where none was expected.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.korean.kinds import PiiKind
from agents.korean.pii_eval import PiiCase, PiiReport, evaluate_pii
from agents.korean.quantities import read_quantities
from agents.korean.spoken_gen import SpokenCase, generate_spoken_cases

__all__ = [
    "DEFAULT_SPOKEN_SET",
    "FormScore",
    "KoreanReport",
    "evaluate_korean",
    "korean_markdown",
    "load_spoken_set",
    "run_korean_eval",
]

DEFAULT_SPOKEN_SET = (
    Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "korean_spoken_v1.jsonl"
)
PII_RECALL_TARGET = 0.98
PII_FP_TARGET = 0.02
FORM_TARGET = 0.95


@dataclass(frozen=True)
class FormScore:
    """Values of one form: expected, read exactly, and read where none was expected."""

    expected: int
    correct: int
    spurious: int

    @property
    def accuracy(self) -> float:
        """Share of expected values read with the right form and value."""
        return self.correct / self.expected if self.expected else 1.0


@dataclass(frozen=True)
class KoreanReport:
    """Scores of one set of spoken utterances."""

    name: str
    cases: int
    pii: PiiReport
    forms: Mapping[str, FormScore] = field(default_factory=dict)
    misses: tuple[str, ...] = ()

    @property
    def normalization_accuracy(self) -> float:
        """Expected values read exactly, over all forms."""
        expected = sum(f.expected for f in self.forms.values())
        return sum(f.correct for f in self.forms.values()) / expected if expected else 1.0

    @property
    def spurious_values(self) -> int:
        """Values read that no expected value accounts for (a word taken as a number)."""
        return sum(f.spurious for f in self.forms.values())


def load_spoken_set(path: Path = DEFAULT_SPOKEN_SET, split: str | None = None) -> list[SpokenCase]:
    """Read the JSON-lines set: id, text, call_date, pii [[start, end, kind]], values, split.

    Split "dev" is the part looked at while the code was fixed; "holdout" was written
    afterwards and scored without changing the code for it.
    """
    cases = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        row: dict[str, Any] = json.loads(line)
        cases.append(SpokenCase(
            case_id=row["id"], text=row["text"],
            call_date=dt.date.fromisoformat(row["call_date"]),
            pii=tuple((s, e, PiiKind(k)) for s, e, k in row["pii"]),
            values=tuple((f, v) for f, v in row["values"]),
            section=row.get("section", ""), split=row.get("split", "dev"),
        ))
    return [c for c in cases if split is None or c.split == split]


def evaluate_korean(name: str, cases: Iterable[SpokenCase]) -> KoreanReport:
    """Redact and read every case; count PII hits and values per form."""
    cases = list(cases)
    pii = evaluate_pii(PiiCase(c.case_id, c.text, c.pii) for c in cases)
    expected: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    spurious: Counter[str] = Counter()
    misses: list[str] = []
    for case in cases:
        _, found = read_quantities(case.text, case.call_date)
        predicted = Counter((q.form, q.value) for q in found)
        wanted = Counter(case.values)
        for (form, value), count in wanted.items():
            expected[form] += count
            hit = min(count, predicted[(form, value)])
            correct[form] += hit
            if hit < count:
                misses.append(f"{case.case_id} {form}={value}: {case.text}")
        for (form, value), count in predicted.items():
            extra = count - wanted[(form, value)]
            if extra > 0:
                spurious[form] += extra
    forms = {
        form: FormScore(expected[form], correct[form], spurious[form])
        for form in sorted(set(expected) | set(spurious))
    }
    return KoreanReport(name=name, cases=len(cases), pii=pii, forms=forms, misses=tuple(misses))


def run_korean_eval(
    spoken_set: Path = DEFAULT_SPOKEN_SET, generated: int = 1000, seed: int = 15
) -> tuple[KoreanReport, ...]:
    """Score the hand-written set (dev and holdout) and `generated` seeded generator cases."""
    return (
        evaluate_korean("hand dev", load_spoken_set(spoken_set, "dev")),
        evaluate_korean("hand holdout", load_spoken_set(spoken_set, "holdout")),
        evaluate_korean("generated", generate_spoken_cases(seed=seed, count=generated)),
    )


def _mark(met: bool) -> str:
    return "met" if met else "**below target**"


def korean_markdown(reports: Iterable[KoreanReport], show_misses: int = 0) -> str:
    """Markdown tables: PII recall and false positives, then accuracy per value form."""
    reports = list(reports)
    lines = [
        "## Korean redaction and normalization",
        "",
        f"Targets: PII recall >= {PII_RECALL_TARGET}, false positives <= {PII_FP_TARGET:.0%}"
        f" (spans and clean tokens), normalization >= {FORM_TARGET} per form.",
        "",
        "| set | cases | PII spans | recall | span FP | token FP | PII target |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in reports:
        met = (r.pii.recall >= PII_RECALL_TARGET and r.pii.span_false_positive_rate
               <= PII_FP_TARGET and r.pii.token_false_positive_rate <= PII_FP_TARGET)
        lines.append(
            f"| {r.name} | {r.cases} | {r.pii.expected_spans} | {r.pii.recall:.3f} | "
            f"{r.pii.span_false_positive_rate:.3f} ({r.pii.false_positive_spans}) | "
            f"{r.pii.token_false_positive_rate:.3f} | {_mark(met)} |"
        )
    lines += ["", "| set | form | expected | read exactly | accuracy | spurious | target |",
              "|---|---|---|---|---|---|---|"]
    for r in reports:
        for form, score in r.forms.items():
            lines.append(
                f"| {r.name} | {form} | {score.expected} | {score.correct} | "
                f"{score.accuracy:.3f} | {score.spurious} | "
                f"{_mark(score.accuracy >= FORM_TARGET) if score.expected else '-'} |"
            )
        lines.append(
            f"| {r.name} | **all** | {sum(f.expected for f in r.forms.values())} | "
            f"{sum(f.correct for f in r.forms.values())} | {r.normalization_accuracy:.3f} | "
            f"{r.spurious_values} | |"
        )
    for r in reports:
        if show_misses and r.misses:
            lines += ["", f"Values missed in {r.name} (first {show_misses}):", ""]
            lines += [f"- {m}" for m in r.misses[:show_misses]]
    return "\n".join(lines) + "\n"
