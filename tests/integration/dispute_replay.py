"""Replay simulator calls through the real agent graph and score its dispute decisions.

Used by tests/integration/test_dispute_accuracy.py, and runnable by hand for a full report:

    .venv/bin/python -m tests.integration.dispute_replay --seed 99 --calls 300

The graph is the real one (real policy, real trained intent tier, LLM off) on the in-memory
ports of tests/unit/agents/fakes.py, so one call takes a few milliseconds.

Scoring rule. The call's decision is what the post-call summary reports (the credited
dispute if any, else the last one), exactly what the demo and load reports score.
- Truth expects a dispute: correct when the decision has the expected outcome, the expected
  amount (the credit, the amount sent for approval, or 0 for an explanation) and the
  expected invoice.
- Truth expects none: correct when no money moved and none was proposed, i.e. no decision
  or an `explained` one (0 won). Explaining a bill the customer only asked about is a right
  answer to an inquiry; a credit or an approval request is not.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from langgraph.checkpoint.memory import InMemorySaver

from agents.graph import AgentContext, build_graph, end_call, handle_utterance, start_call
from agents.intents import IntentClassifier
from agents.limits import AgentLimits
from services.schemas import (
    CallEnded,
    CallStarted,
    DisputeDecision,
    DisputeOutcome,
    Speaker,
    Utterance,
)
from simulator import generate_calls, generate_world
from simulator.scenarios import ScriptedCall
from simulator.world import SyntheticWorld
from tests.unit.agents.fakes import FakeApprovals, FakeAudit, FakeBilling, FakeClock, FakeLedger

__all__ = ["DisputeCheck", "accuracy", "confusion", "render", "replay", "replay_seed"]

TODAY = date(2025, 6, 16)


@dataclass(frozen=True, slots=True)
class DisputeCheck:
    """One call's expected and found dispute decision."""

    call: ScriptedCall
    found: DisputeDecision | None

    @property
    def expected_outcome(self) -> str:
        """The expected outcome, "none" when the truth expects no dispute."""
        expected = self.call.truth.expected_dispute
        return expected.outcome.value if expected else "none"

    @property
    def found_outcome(self) -> str:
        """The decided outcome, "none" when no dispute was decided."""
        return self.found.outcome.value if self.found else "none"

    @property
    def correct(self) -> bool:
        """See the module docstring for the rule."""
        expected, found = self.call.truth.expected_dispute, self.found
        if expected is None:
            return found is None or (
                found.outcome is DisputeOutcome.EXPLAINED and found.amount_krw == 0
            )
        return (
            found is not None
            and found.outcome is expected.outcome
            and found.amount_krw == expected.expected_credit_krw
            and found.invoice_id == expected.invoice_id
        )


def replay(
    world: SyntheticWorld,
    calls: Sequence[ScriptedCall],
    intents: IntentClassifier,
    *,
    settings: AgentLimits | None = None,
    agent_turns: bool = False,
) -> list[DisputeCheck]:
    """Run every call (start, its turns, end) and keep each call's decision.

    Only customer turns are sent unless `agent_turns`: the graph records agent turns but
    decides nothing on them, and they are almost half the graph runs. Seqs are the turns'
    places in the script either way. The ledger and approval store are shared by all
    calls, like one production database.
    """
    now = datetime(world.today.year, world.today.month, world.today.day, 10, tzinfo=UTC)
    context = AgentContext(
        billing=FakeBilling(world.billing), ledger=FakeLedger(), approvals=FakeApprovals(),
        audit=FakeAudit(), clock=FakeClock(now), intents=intents,
        limits=settings or AgentLimits(), chat_model=None,
    )
    graph = build_graph(InMemorySaver())  # calls keep state between utterances
    checks: list[DisputeCheck] = []
    for call in calls:
        start_call(graph, context, CallStarted(call_id=call.call_id, customer_id=call.customer_id))
        sent = [(seq, turn) for seq, turn in enumerate(call.turns)
                if agent_turns or turn.speaker is Speaker.CUSTOMER]
        for seq, turn in sent:
            handle_utterance(graph, context, Utterance(
                call_id=call.call_id, seq=seq, speaker=turn.speaker, text=turn.text,
                start_ms=seq * 4000, end_ms=seq * 4000 + 3500, confidence=0.95))
        summary = end_call(graph, context, CallEnded(call_id=call.call_id, utterances=len(sent)))
        checks.append(DisputeCheck(call, summary.dispute))
    return checks


def replay_seed(
    seed: int, n_calls: int, intents: IntentClassifier, *, customers: int = 200,
    today: date = TODAY, settings: AgentLimits | None = None, agent_turns: bool = False,
) -> list[DisputeCheck]:
    """Generate a world and calls from `seed` and replay them."""
    settings = settings or AgentLimits()
    world = generate_world(seed=seed, customers=customers, today=today)
    calls = generate_calls(world, seed=seed, n=n_calls,
                           auto_credit_limit_krw=settings.auto_credit_limit_krw)
    return replay(world, calls, intents, settings=settings, agent_turns=agent_turns)


def accuracy(checks: Sequence[DisputeCheck], *, disputes_only: bool = False) -> float:
    """Share of correct calls (only calls whose truth expects a dispute, if asked)."""
    chosen = [c for c in checks if c.call.truth.expected_dispute or not disputes_only]
    return sum(c.correct for c in chosen) / len(chosen) if chosen else 1.0


def confusion(checks: Sequence[DisputeCheck]) -> Counter[tuple[str, str]]:
    """(expected outcome, found outcome) -> calls."""
    return Counter((c.expected_outcome, c.found_outcome) for c in checks)


def render(checks: Sequence[DisputeCheck]) -> str:
    """A plain-text report: accuracies, the confusion of outcomes, every disagreement."""
    lines = [
        f"calls: {len(checks)}, with an expected dispute: "
        f"{sum(1 for c in checks if c.call.truth.expected_dispute)}",
        f"dispute decision accuracy (all calls): {accuracy(checks):.3f}",
        f"dispute decision accuracy (dispute calls): {accuracy(checks, disputes_only=True):.3f}",
        "confusion (expected -> found: calls):",
    ]
    lines += [f"  {e:>16} -> {f:<16} {n}" for (e, f), n in sorted(confusion(checks).items())]
    for check in checks:
        if check.correct:
            continue
        call, found = check.call, check.found
        expected = call.truth.expected_dispute
        want = (f"{expected.outcome.value} {expected.expected_credit_krw:,}원 "
                f"{expected.invoice_id} kind={expected.anomaly_kind}") if expected else "none"
        got = (f"{found.outcome.value} {found.amount_krw:,}원 {found.invoice_id} "
               f"rule={found.rule}") if found else "none"
        lines.append(f"\n{call.call_id} {call.scenario.value} customer={call.customer_id}")
        lines.append(f"  expected: {want}\n  found:    {got}")
        lines += [f"  고객: {turn.text}" for turn in call.customer_turns()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Replay one seed and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=99)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--today", type=date.fromisoformat, default=TODAY)
    parser.add_argument("--agent-turns", action="store_true", help="send the agent's turns too")
    args = parser.parse_args(argv)
    from pipelines.bootstrap import load_intent_model
    from services.config import get_settings

    intents = load_intent_model(get_settings())
    checks = replay_seed(args.seed, args.calls, intents, customers=args.customers,
                         today=args.today, agent_turns=args.agent_turns)
    sys.stdout.write(render(checks) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
