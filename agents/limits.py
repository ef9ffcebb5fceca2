"""The thresholds and money limits the core reads, as its own value (mapped from settings).

The composition root builds it from `AgentSettings` (pipelines.bootstrap.agent_limits); the
core never imports the settings package. Defaults equal the settings' defaults (a test of
the bootstrap checks it), so a test context built with `AgentLimits()` runs as shipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["AgentLimits"]


@dataclass(frozen=True, slots=True)
class AgentLimits:
    """Thresholds and limits used by the graph; money limits are enforced in code.

    Attributes:
        auto_credit_limit_krw: Credits above need a supervisor's approval.
        chat_credit_limit_krw: The assistant chat's hard cap per credit.
        daily_credit_cap_krw: Automatic credits per customer per day, summed.
        call_credit_cap_krw: Automatic credits per call, summed.
        churn_contract_window_days: A contract ending within this many days is a churn signal.
        intent_llm_threshold: The LLM tier classifies below this fast-tier confidence.
        llm_for_everything: Benchmark baseline only: ask the LLM tier for every intent and
            every claim, even where the fast tier or the rules are sure.
        churn_flag_threshold: Flag a customer at this churn score.
        phishing_alert_threshold: Voice-phishing score at which a call's alert goes out.
        phishing_guardians: Customer id -> registered guardian contact id.
        handoff_failure_turns: Hand over after this many unhelped customer turns; 0 = never.
    """

    auto_credit_limit_krw: int = 30000
    chat_credit_limit_krw: int = 5000
    daily_credit_cap_krw: int = 200000
    call_credit_cap_krw: int = 60000
    churn_contract_window_days: int = 60
    intent_llm_threshold: float = 0.55
    llm_for_everything: bool = False
    churn_flag_threshold: float = 0.6
    phishing_alert_threshold: float = 0.8
    phishing_guardians: Mapping[str, str] = field(default_factory=dict)
    handoff_failure_turns: int = 3
