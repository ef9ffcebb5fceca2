"""The core's limits are the agent settings, field for field, defaults included."""

from __future__ import annotations

from dataclasses import asdict, fields

from agents.limits import AgentLimits
from pipelines.bootstrap import agent_limits
from services.config import AgentSettings


def test_every_limit_is_an_agent_setting_with_the_same_default() -> None:
    defaults = AgentSettings()
    assert asdict(AgentLimits()) == {f.name: getattr(defaults, f.name) for f in fields(AgentLimits)}


def test_the_bootstrap_maps_set_values() -> None:
    agent = AgentSettings(auto_credit_limit_krw=1234, churn_flag_threshold=0.9,
                          phishing_guardians={"C1": "G1"}, handoff_failure_turns=0)
    limits = agent_limits(agent)
    assert (limits.auto_credit_limit_krw, limits.churn_flag_threshold) == (1234, 0.9)
    assert (dict(limits.phishing_guardians), limits.handoff_failure_turns) == ({"C1": "G1"}, 0)
    assert agent_limits(AgentSettings()) == AgentLimits()
