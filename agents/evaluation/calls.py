"""Per-call outcomes of an evaluation run, and the figures computed from them.

The harness (in services/cli) runs calls through the real graph and fills `CallOutcome`
records; everything here is pure, so the scoring is unit-tested on hand-made outcomes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from agents.domain import DisputeOutcome, Intent, IntentTier
from agents.evaluation.scores import (
    BinaryAtThreshold,
    CreditError,
    binary_at_threshold,
    credit_error,
    rank_auc,
    ratio,
    wilson_interval,
)
from agents.intents.metrics import IntentReport, intent_report

__all__ = [
    "CallOutcome",
    "CallSetReport",
    "ChurnScore",
    "DisputeScore",
    "UtteranceOutcome",
    "score_calls",
]


@dataclass(frozen=True)
class UtteranceOutcome:
    """One customer utterance: the labelled intent (None when the script marks none).

    `fallback` is why the LLM tier's answer was not used ("llm_disabled", "timeout",
    "llm_outside_top3", ...), None when the fast tier was sure or the LLM's answer stood.
    """

    seq: int
    expected: Intent | None
    found: Intent
    confidence: float
    tier: IntentTier
    llm_asked: bool
    fallback: str | None = None


@dataclass(frozen=True)
class CallOutcome:
    """What the system concluded for one call, beside the ground truth."""

    call_id: str
    expected_intent: Intent
    found_intent: Intent
    found_confidence: float
    utterances: tuple[UtteranceOutcome, ...]
    churn_expected: bool
    churn_score: float
    churn_flagged: bool
    expected_outcome: DisputeOutcome | None = None
    found_outcome: DisputeOutcome | None = None
    expected_credit_krw: int = 0
    found_credit_krw: int = 0


@dataclass(frozen=True)
class DisputeScore:
    """Dispute decisions on calls whose truth holds one, and stray decisions elsewhere.

    `spurious` counts calls without a disputed charge that still got a decision;
    `spurious_money` those among them where a credit was issued or proposed.
    """

    calls: int
    correct: int
    accuracy: float
    interval: tuple[float, float]
    credit: CreditError
    spurious: int
    spurious_money: int


@dataclass(frozen=True)
class ChurnScore:
    """Churn ranking and flagging, with each call's max churn score as its score.

    `flag` counts `max score >= threshold`; `flag_mismatches` counts calls where the graph's
    own flag disagreed with that rule (0 unless the flag logic drifted from the setting).
    """

    calls: int
    positives: int
    auc: float
    flag: BinaryAtThreshold
    flag_mismatches: int


@dataclass(frozen=True)
class CallSetReport:
    """Every figure the harness reports for one run over a set of calls."""

    calls: int
    utterances: int
    utterance_intents: IntentReport
    call_intents: IntentReport
    dispute: DisputeScore
    churn: ChurnScore
    llm_share: float
    llm_asked_share: float
    llm_fallbacks: dict[str, int]


_MONEY = frozenset({DisputeOutcome.CREDIT_ISSUED, DisputeOutcome.PENDING_APPROVAL})


def _dispute_score(outcomes: Sequence[CallOutcome]) -> DisputeScore:
    disputes = [o for o in outcomes if o.expected_outcome is not None]
    correct = sum(o.found_outcome == o.expected_outcome for o in disputes)
    return DisputeScore(
        calls=len(disputes),
        correct=correct,
        accuracy=ratio(correct, len(disputes)),
        interval=wilson_interval(correct, len(disputes)),
        credit=credit_error(
            [o.expected_credit_krw for o in disputes], [o.found_credit_krw for o in disputes]
        ),
        spurious=sum(
            o.expected_outcome is None and o.found_outcome is not None for o in outcomes
        ),
        spurious_money=sum(
            o.expected_outcome is None and o.found_outcome in _MONEY for o in outcomes
        ),
    )


def score_calls(outcomes: Sequence[CallOutcome], *, churn_threshold: float) -> CallSetReport:
    """Intent, dispute, churn and LLM-tier figures over one run.

    Args:
        outcomes: One record per call.
        churn_threshold: `settings.agent.churn_flag_threshold`.
    """
    turns = [u for o in outcomes for u in o.utterances]
    labelled = [u for u in turns if u.expected is not None]
    churn_scores = [o.churn_score for o in outcomes]
    churn_truth = [o.churn_expected for o in outcomes]
    return CallSetReport(
        calls=len(outcomes),
        utterances=len(turns),
        utterance_intents=intent_report(
            [u.expected for u in labelled if u.expected is not None],
            [u.found for u in labelled],
            [u.confidence for u in labelled],
        ),
        call_intents=intent_report(
            [o.expected_intent for o in outcomes],
            [o.found_intent for o in outcomes],
            [o.found_confidence for o in outcomes],
        ),
        dispute=_dispute_score(outcomes),
        churn=ChurnScore(
            calls=len(outcomes),
            positives=sum(churn_truth),
            auc=rank_auc(churn_scores, churn_truth),
            flag=binary_at_threshold(churn_scores, churn_truth, churn_threshold),
            flag_mismatches=sum(
                o.churn_flagged != (o.churn_score >= churn_threshold) for o in outcomes
            ),
        ),
        llm_share=ratio(sum(u.tier is IntentTier.LLM for u in turns), len(turns)),
        llm_asked_share=ratio(sum(u.llm_asked for u in turns), len(turns)),
        llm_fallbacks=dict(sorted(Counter(u.fallback for u in turns if u.fallback).items())),
    )
