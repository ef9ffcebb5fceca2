"""Scoring the summary's extracted items against planted truth: pure, no model, no I/O.

Each case is a call's planted turns (redacted, as at the system's entry) with what they
say; `agents.summary_items` reads them and every kind is scored by precision and recall
over multisets: dates (ISO day or day and time), amounts (won), actions matched on who,
what and by when, the same actions on who and what only, and the numbers said matched on
kind and the last four digits their masked form shows (redaction, masking and pairing of
the entry's kept forms with the placeholders, together).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

from agents.summary_items import ExtractedItems, HeardIdentifier, extract_items

__all__ = ["ItemsCase", "ItemsReport", "KindScore", "items_markdown", "score_items"]

_KINDS = ("dates", "amounts", "actions", "action owners", "identifiers")


@dataclass(frozen=True)
class ItemsCase:
    """One call's planted turns (seq, speaker, redacted text) and what they say."""

    call_id: str
    call_date: dt.date
    utterances: Sequence[tuple[int, str, str]]
    dates: Sequence[str]
    amounts: Sequence[int]
    actions: Sequence[tuple[str, str, str | None]]  # (owner, action, due day)
    unlabelled: Sequence[tuple[int, str, str]] = ()  # the script's own turns: no item truth
    identifiers: Sequence[tuple[str, str]] = ()  # (kind, last four digits) said
    heard: Mapping[int, Sequence[HeardIdentifier]] = field(default_factory=dict)  # per seq


@dataclass(frozen=True)
class KindScore:
    """Counts of one item kind over all cases."""

    kind: str
    expected: int
    found: int
    matched: int

    @property
    def precision(self) -> float:
        """Share of what was found that was planted (1.0 when nothing was found)."""
        return self.matched / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        """Share of what was planted that was found (1.0 when nothing was planted)."""
        return self.matched / self.expected if self.expected else 1.0


@dataclass(frozen=True)
class ItemsReport:
    """Scores per kind and the first misses, to read."""

    calls: int
    scores: tuple[KindScore, ...]
    misses: list[str] = field(default_factory=list)
    unlabelled: dict[str, int] = field(default_factory=dict)  # found in unplanted turns


def score_items(cases: Sequence[ItemsCase], *, keep_misses: int = 10) -> ItemsReport:
    """Extract each case's items and score them per kind."""
    totals = {kind: [0, 0, 0] for kind in _KINDS}
    misses: list[str] = []
    unlabelled: Counter[str] = Counter()
    for case in cases:
        rest = extract_items(case.unlabelled, case.call_date)
        unlabelled.update(dates=len(rest.dates), amounts=len(rest.amounts),
                          actions=len(rest.actions))
        got = extract_items(case.utterances, case.call_date, case.heard)
        for kind, (want, have) in _pairs(case, got).items():
            matched = sum((Counter(want) & Counter(have)).values())
            totals[kind][0] += len(want)
            totals[kind][1] += len(have)
            totals[kind][2] += matched
            if matched < max(len(want), len(have)) and len(misses) < keep_misses:
                said = " / ".join(text for _, _, text in case.utterances)
                misses.append(f"{case.call_id} ({case.call_date}) {kind}: "
                              f"기대 {sorted(map(str, want))}, 추출 {sorted(map(str, have))}"
                              f" — {said}")
    scores = tuple(KindScore(kind, *totals[kind]) for kind in _KINDS)
    return ItemsReport(calls=len(cases), scores=scores, misses=misses,
                       unlabelled=dict(unlabelled))


_Pair = tuple[list[Hashable], list[Hashable]]


def _pairs(case: ItemsCase, got: ExtractedItems) -> dict[str, _Pair]:
    """Expected and extracted values of every kind, as comparable tuples."""
    actions = [(a.owner, a.action, a.due) for a in got.actions]
    return {
        "dates": (list(case.dates), [d.value for d in got.dates]),
        "amounts": (list(case.amounts), [a.krw for a in got.amounts]),
        "actions": (list(case.actions), list(actions)),
        "action owners": ([a[:2] for a in case.actions], [a[:2] for a in actions]),
        "identifiers": (list(case.identifiers),
                        [(i.kind, "".join(filter(str.isdigit, i.masked))[-4:])
                         for i in got.identifiers]),
    }


def items_markdown(report: ItemsReport, *, show_misses: bool = True) -> str:
    """The report as a markdown table (and the first misses)."""
    lines = [
        f"### Summary items ({report.calls} calls, planted follow-up turns)",
        "",
        "| kind | expected | found | matched | precision | recall |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {s.kind} | {s.expected} | {s.found} | {s.matched} | {s.precision:.3f} | "
              f"{s.recall:.3f} |" for s in report.scores]
    if report.unlabelled:
        found = ", ".join(f"{kind} {n}" for kind, n in sorted(report.unlabelled.items()))
        lines += ["", f"Found in the scripts' own turns (no truth there, read them): {found}."]
    if show_misses and report.misses:
        lines += ["", "First misses:", "", *(f"- {miss}" for miss in report.misses)]
    return "\n".join(lines)
