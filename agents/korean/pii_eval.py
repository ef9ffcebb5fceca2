"""Score the redactor on labeled cases: recall, false positives per span and token, per kind."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.korean.kinds import PiiKind
from agents.korean.pii import find_pii

__all__ = ["DEFAULT_CASES", "KindScore", "PiiCase", "PiiReport", "evaluate_pii", "load_cases"]

DEFAULT_CASES = Path(__file__).with_name("data") / "pii_cases.jsonl"


@dataclass(frozen=True)
class PiiCase:
    """One labeled utterance; spans are (start, end, kind) in `text`."""

    case_id: str
    text: str
    spans: tuple[tuple[int, int, PiiKind], ...]
    split: str = "dev"


@dataclass(frozen=True)
class KindScore:
    """Recall for one kind: an expected span counts when it is fully covered."""

    expected: int
    covered: int
    right_kind: int

    @property
    def recall(self) -> float:
        """Share of expected spans fully hidden."""
        return self.covered / self.expected if self.expected else 1.0


@dataclass(frozen=True)
class PiiReport:
    """Evaluation result over a list of cases."""

    cases: int
    expected_spans: int
    covered_spans: int
    predicted_spans: int
    false_positive_spans: int
    clean_tokens: int
    redacted_clean_tokens: int
    negative_cases: int
    negative_cases_redacted: int
    per_kind: Mapping[str, KindScore] = field(default_factory=dict)

    @property
    def recall(self) -> float:
        """Expected spans fully covered by some redaction, over all expected spans."""
        return self.covered_spans / self.expected_spans if self.expected_spans else 1.0

    @property
    def span_false_positive_rate(self) -> float:
        """Predicted spans touching no expected span, over all predicted spans."""
        return self.false_positive_spans / self.predicted_spans if self.predicted_spans else 0.0

    @property
    def token_false_positive_rate(self) -> float:
        """Whitespace tokens outside every expected span that were (partly) redacted."""
        return self.redacted_clean_tokens / self.clean_tokens if self.clean_tokens else 0.0

    @property
    def negative_case_rate(self) -> float:
        """Share of cases without PII in which anything was redacted."""
        return self.negative_cases_redacted / self.negative_cases if self.negative_cases else 0.0


def load_cases(path: Path = DEFAULT_CASES, split: str | None = None) -> list[PiiCase]:
    """Read cases from JSON lines ({"id", "text", "spans": [[start, end, kind]], "split"})."""
    cases = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            row: dict[str, Any] = json.loads(line)
            case = PiiCase(
                case_id=row["id"],
                text=row["text"],
                spans=tuple((s, e, PiiKind(k)) for s, e, k in row["spans"]),
                split=row.get("split", "dev"),
            )
            if split is None or case.split == split:
                cases.append(case)
    return cases


def _tokens(text: str) -> list[tuple[int, int]]:
    out, start = [], None
    for i, char in enumerate(text + " "):
        if char.isspace():
            if start is not None:
                out.append((start, i))
            start = None
        elif start is None:
            start = i
    return out


def evaluate_pii(cases: Iterable[PiiCase]) -> PiiReport:
    """Run the redactor over `cases` and count hits, misses and false positives."""
    totals = dict.fromkeys(("cases", "expected", "covered", "predicted", "fp", "clean",
                            "clean_hit", "neg", "neg_hit"), 0)
    kinds: dict[str, list[int]] = {}
    for case in cases:
        found = find_pii(case.text)
        totals["cases"] += 1
        totals["predicted"] += len(found)
        for start, end, kind in case.spans:
            hidden = set().union(*(range(p.start, p.end) for p in found)) if found else set()
            covered = all(i in hidden for i in range(start, end))
            right = covered and any(
                p.kind == kind and p.start < end and start < p.end for p in found
            )
            score = kinds.setdefault(kind.value, [0, 0, 0])
            score[0] += 1
            score[1] += covered
            score[2] += right
            totals["expected"] += 1
            totals["covered"] += covered
        totals["fp"] += sum(
            not any(p.start < e and s < p.end for s, e, _ in case.spans) for p in found
        )
        for t_start, t_end in _tokens(case.text):
            if any(s < t_end and t_start < e for s, e, _ in case.spans):
                continue
            totals["clean"] += 1
            totals["clean_hit"] += any(p.start < t_end and t_start < p.end for p in found)
        if not case.spans:
            totals["neg"] += 1
            totals["neg_hit"] += bool(found)
    return PiiReport(
        cases=totals["cases"], expected_spans=totals["expected"], covered_spans=totals["covered"],
        predicted_spans=totals["predicted"], false_positive_spans=totals["fp"],
        clean_tokens=totals["clean"], redacted_clean_tokens=totals["clean_hit"],
        negative_cases=totals["neg"], negative_cases_redacted=totals["neg_hit"],
        per_kind={k: KindScore(*v) for k, v in sorted(kinds.items())},
    )
