"""Scoring summaries against ground truth: pure functions, no model and no I/O.

One summary (the rules' or a model's) is scored on what a reader needs: the intents of
the call named, a dispute's decision and amount stated exactly, no PII, polite Korean.
The model stage's own checks decide acceptance; here a rejected answer is counted with
its reason, and the quality figures are over what was accepted.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from agents.domain import DisputeOutcome, Intent
from agents.model_checks import pii_in, polite_problem
from agents.summary import INTENT_LABELS
from services.schemas import CallSummary

__all__ = ["EngineScore", "SummaryTrial", "score_engine", "scores_markdown"]

_OUTCOME_WORDS = {
    DisputeOutcome.CREDIT_ISSUED: ("감면",),
    DisputeOutcome.PENDING_APPROVAL: ("승인",),
    DisputeOutcome.EXPLAINED: ("정상",),
    DisputeOutcome.NO_INVOICE: ("청구서",),
    DisputeOutcome.REJECTED: ("정상",),
}


@dataclass(frozen=True)
class SummaryTrial:
    """One call's summary attempt by one engine."""

    intents: Sequence[Intent]
    outcome: DisputeOutcome | None
    amount_krw: int
    summary: CallSummary | None  # None when the engine's answer was rejected
    rejected: str | None = None
    latency_ms: float = 0.0
    tokens: int = 0


@dataclass(frozen=True)
class EngineScore:
    """Aggregates of one engine over the calls."""

    engine: str
    calls: int
    valid_schema: float
    accepted: float
    intents_named: float
    decision_stated: float
    amount_exact: float
    pii_free: float
    polite: float
    latency_p50_ms: float
    latency_p95_ms: float
    tokens_per_summary: float
    rejected: dict[str, int] = field(default_factory=dict)


def _text(summary: CallSummary) -> str:
    return f"{summary.summary} {summary.customer_request}"


def _intents_named(trial: SummaryTrial, text: str) -> float:
    wanted = [i for i in trial.intents if i is not Intent.OTHER]
    if not wanted:
        return 1.0
    return sum(INTENT_LABELS[i] in text for i in wanted) / len(wanted)


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round((len(ordered) - 1) * q))]


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def score_engine(engine: str, trials: Sequence[SummaryTrial]) -> EngineScore:
    """Score one engine: rejection reasons, then quality over the accepted summaries.

    The summary's own text (summary and customer request, the fields a model writes) is
    what is scored; the resolution line is always the rules' and would flatter every engine.
    """
    accepted = [t for t in trials if t.summary is not None]
    disputes = [t for t in accepted if t.outcome is not None]
    invalid = {"schema_mismatch", "invalid_json", "timeout", "truncated"}
    texts = {id(t): _text(t.summary) for t in accepted if t.summary is not None}
    return EngineScore(
        engine=engine, calls=len(trials),
        valid_schema=_mean([float(t.rejected not in invalid) for t in trials]),
        accepted=_mean([float(t.summary is not None) for t in trials]),
        intents_named=_mean([_intents_named(t, texts[id(t)]) for t in accepted]),
        decision_stated=_mean([float(any(w in texts[id(t)] for w in _OUTCOME_WORDS[t.outcome]))
                               for t in disputes if t.outcome is not None]),
        amount_exact=_mean([float(f"{t.amount_krw:,}원" in texts[id(t)]
                                  or f"{t.amount_krw}원" in texts[id(t)])
                            for t in disputes if t.amount_krw > 0]),
        pii_free=_mean([float(not pii_in([texts[id(t)]])) for t in accepted]),
        polite=_mean([float(polite_problem(t.summary.summary) is None)
                      for t in accepted if t.summary is not None]),
        latency_p50_ms=_percentile([t.latency_ms for t in trials], 0.5),
        latency_p95_ms=_percentile([t.latency_ms for t in trials], 0.95),
        tokens_per_summary=_mean([float(t.tokens) for t in trials]),
        rejected=dict(Counter(t.rejected.split(":")[0] for t in trials if t.rejected)),
    )


def scores_markdown(scores: Sequence[EngineScore]) -> str:
    """The table README shows: one row per engine."""
    head = ("| engine | calls | valid schema | accepted | intents named | decision stated | "
            "amount exact | PII-free | polite | p50 ms | p95 ms | tokens/summary | rejected |")
    lines = [head, "|" + "---|" * 13]
    for s in scores:
        rejected = ", ".join(f"{k} {v}" for k, v in sorted(s.rejected.items())) or "-"
        cells = [s.engine, str(s.calls), *(f"{v:.2f}" for v in (
            s.valid_schema, s.accepted, s.intents_named, s.decision_stated, s.amount_exact,
            s.pii_free, s.polite)), f"{s.latency_p50_ms:,.0f}", f"{s.latency_p95_ms:,.0f}",
            f"{s.tokens_per_summary:,.0f}", rejected]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
