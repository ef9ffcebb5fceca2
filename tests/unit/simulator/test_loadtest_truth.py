"""A load plan's ground truth is what the agent decides: the pure graph on in-memory ports.

Planned calls of a seeded load run are fed to the real graph (fast intent tier, policy
engine) over fake billing, ledger and approval ports holding the same synthetic world; the
money decisions must match the truth exactly, intents nearly always.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agents.graph import AgentContext, build_graph
from agents.limits import AgentLimits
from pipelines.bootstrap import load_intent_model
from pipelines.evaluation.graph_runs import run_call, scripted_texts
from services.config import Settings
from simulator import generate_world
from simulator.loadtest import LoadMode, Shape, plan_load
from tests.unit.agents.fakes import FakeApprovals, FakeAudit, FakeBilling, FakeClock, FakeLedger


@pytest.fixture(scope="module")
def intents():  # type: ignore[no-untyped-def]
    return load_intent_model(Settings())


def test_the_graph_decides_what_the_plans_ground_truth_says(intents) -> None:  # type: ignore[no-untyped-def]
    world = generate_world(seed=7, customers=60)
    limit = AgentLimits().auto_credit_limit_krw  # the truth and the agent share the limit
    plans = plan_load(world, rate=1.0, duration_s=40.0, shape=Shape.POISSON, mode=LoadMode.TEXT,
                      seed=21, auto_credit_limit_krw=limit)  # fmt: skip
    disputes = [p.call for p in plans if p.call.truth.expected_dispute][:4]
    others = [p.call for p in plans if not p.call.truth.expected_dispute][:6]
    assert disputes and others, "the plan holds both kinds"
    today = datetime(world.today.year, world.today.month, world.today.day, 1, tzinfo=UTC)
    outcomes = []
    for call in disputes + others:
        context = AgentContext(
            billing=FakeBilling(world.billing), ledger=FakeLedger(), approvals=FakeApprovals(),
            audit=FakeAudit(), clock=FakeClock(today), intents=intents, limits=AgentLimits(),
            chat_model=None,
        )  # fmt: skip
        runtime = SimpleNamespace(graph=build_graph(InMemorySaver()), context=context)
        outcomes.append(run_call(runtime, call, scripted_texts(call)))  # type: ignore[arg-type]
    for outcome in outcomes[: len(disputes)]:
        assert (outcome.found_outcome, outcome.found_credit_krw) == (
            outcome.expected_outcome, outcome.expected_credit_krw), outcome.call_id
    right = sum(o.found_intent == o.expected_intent for o in outcomes)
    assert right >= len(outcomes) - 1, [(o.expected_intent, o.found_intent) for o in outcomes]
    churn = [o for o in outcomes if o.churn_expected]
    assert all(o.churn_flagged for o in churn), [o.call_id for o in churn if not o.churn_flagged]
