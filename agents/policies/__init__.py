"""Deterministic policies: billing disputes, churn scoring, retention offers, claim rules."""

from agents.policies.churn import (
    ChurnAssessment,
    SignalHit,
    detect_signals,
    profile_signals,
    score_churn,
)
from agents.policies.disputes import (
    DisputeClaim,
    DisputeRule,
    Finding,
    PolicyVerdict,
    approval_key,
    credit_key,
    credit_key_of,
    evaluate_dispute,
    find_anomalies,
    select_invoice,
)
from agents.policies.retention import OFFERS, RetentionOffer, choose_offer

__all__ = [
    "OFFERS",
    "ChurnAssessment",
    "DisputeClaim",
    "DisputeRule",
    "Finding",
    "PolicyVerdict",
    "RetentionOffer",
    "SignalHit",
    "approval_key",
    "approval_key",
    "choose_offer",
    "credit_key",
    "credit_key_of",
    "credit_key_of",
    "detect_signals",
    "evaluate_dispute",
    "find_anomalies",
    "profile_signals",
    "score_churn",
    "select_invoice",
]
