"""Pure scoring for the evaluation harness: call outcomes in, reported figures out."""

from agents.evaluation.calls import (
    CallOutcome,
    CallSetReport,
    ChurnScore,
    DisputeScore,
    UtteranceOutcome,
    score_calls,
)
from agents.evaluation.scores import (
    BinaryAtThreshold,
    CreditError,
    accuracy,
    binary_at_threshold,
    credit_error,
    rank_auc,
    ratio,
    verbatim_share,
    wilson_interval,
)

__all__ = [
    "BinaryAtThreshold",
    "CallOutcome",
    "CallSetReport",
    "ChurnScore",
    "CreditError",
    "DisputeScore",
    "UtteranceOutcome",
    "accuracy",
    "binary_at_threshold",
    "credit_error",
    "rank_auc",
    "ratio",
    "score_calls",
    "verbatim_share",
    "wilson_interval",
]
