"""Run evaluation calls through the real agent graph on a fresh SQLite database.

Every pass (clean text, ASR-style text, Whisper transcripts, LLM on) gets its own database
and checkpointer, seeded with the test set's world, so credits and call threads of one
pass never leak into another. The clock is pinned to the world's reference date: claims
like "지난달" and the contract-ending window resolve the same way on every run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from agents.evaluation import CallOutcome, UtteranceOutcome
from agents.graph import end_call, handle_utterance, start_call
from agents.intents import IntentClassifier
from agents.korean import redact
from pipelines.bootstrap import AgentRuntime, build_agent_runtime
from services.config import Settings
from services.db import make_engine, seed_world, upgrade
from services.schemas import (
    CallEnded,
    CallInsight,
    CallStarted,
    DisputeDecision,
    Intent,
    IntentTier,
    Utterance,
)
from simulator import ScriptedCall, SyntheticWorld, text_timeline
from simulator.loadrun import found_intent

__all__ = [
    "FixedClock",
    "GraphRun",
    "TurnTexts",
    "eval_runtime",
    "run_call",
    "run_calls",
    "scripted_texts",
]

TurnTexts = Callable[[ScriptedCall], list[str]]
"""What the system hears of each turn of a call (one string per turn, in order)."""


class FixedClock:
    """A clock that always says the same instant (the test set's reference date)."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        """The pinned instant."""
        return self._now


@dataclass(frozen=True)
class GraphRun:
    """The outcomes of one pass and how long the graph took per utterance."""

    outcomes: list[CallOutcome]
    utterances: int
    graph_seconds: float

    @property
    def ms_per_utterance(self) -> float:
        """Mean wall time of one graph invocation (start, utterances, end all counted)."""
        return 1000 * self.graph_seconds / self.utterances if self.utterances else 0.0


@contextmanager
def eval_runtime(
    settings: Settings, *, workdir: Path, world: SyntheticWorld, intents: IntentClassifier,
    llm_base_url: str | None,
) -> Iterator[AgentRuntime]:
    """A runtime on a new SQLite file under `workdir`, migrated and seeded with `world`."""
    workdir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{(workdir / 'eval.db').resolve()}"
    upgrade(url)
    engine = make_engine(url)
    try:
        seed_world(engine, world.billing)
    finally:
        engine.dispose()
    database = settings.database.model_copy(update={"url": url})
    agent = settings.agent.model_copy(update={"checkpointer_url": None})
    run_settings = settings.model_copy(update={"database": database, "agent": agent})
    clock = FixedClock(datetime(world.today.year, world.today.month, world.today.day, 1,
                                tzinfo=UTC))  # 10:00 in Seoul
    with build_agent_runtime(run_settings, llm_base_url=llm_base_url, intents=intents,
                             clock=clock) as runtime:
        yield runtime


def _decision(insights: Sequence[CallInsight], summary_dispute: DisputeDecision | None
              ) -> DisputeDecision | None:
    # The summary's decision is final (an approval may have moved it); else the last one seen.
    if summary_dispute is not None:
        return summary_dispute
    disputes = [i.dispute for i in sorted(insights, key=lambda i: i.utterance_seq) if i.dispute]
    return disputes[-1] if disputes else None


def _intent_fallback(insight: CallInsight) -> str | None:
    reasons = [f.split(":", 1)[1] for f in insight.fallbacks if f.startswith("classify_intent:")]
    return reasons[0] if reasons else None


def run_call(runtime: AgentRuntime, call: ScriptedCall, texts: list[str]) -> CallOutcome:
    """Feed one call to the graph (texts redacted at entry, as ingestion does) and score it."""
    graph, context = runtime.graph, runtime.context
    threshold = context.limits.intent_llm_threshold
    start_call(graph, context, CallStarted(call_id=call.call_id, customer_id=call.customer_id))
    insights: dict[int, CallInsight] = {}
    for segment, text in zip(text_timeline(call), texts, strict=True):
        result = handle_utterance(graph, context, Utterance(
            call_id=call.call_id, seq=segment.seq, speaker=segment.speaker,
            text=redact(text).text, start_ms=segment.start_ms, end_ms=segment.end_ms,
            confidence=1.0, source="text"))
        if result.insight is not None:
            insights[segment.seq] = result.insight
    summary = end_call(graph, context, CallEnded(call_id=call.call_id,
                                                 utterances=len(call.turns)))
    utterances = tuple(
        UtteranceOutcome(seq=seq, expected=call.turns[seq].intent, found=insight.intent,
                         confidence=insight.intent_confidence, tier=insight.intent_tier,
                         llm_asked=insight.intent_tier is IntentTier.LLM
                         or insight.intent_confidence < threshold,
                         fallback=_intent_fallback(insight))
        for seq, insight in sorted(insights.items()))
    first = found_intent(list(insights.values())) or Intent.OTHER
    confidence = next((u.confidence for u in utterances if u.found is first), 0.0)
    decision = _decision(list(insights.values()), summary.dispute)
    expected = call.truth.expected_dispute
    return CallOutcome(
        call_id=call.call_id, expected_intent=call.truth.primary_intent, found_intent=first,
        found_confidence=confidence, utterances=utterances,
        churn_expected=call.truth.churn_expected,
        churn_score=max((i.churn_score for i in insights.values()), default=0.0),
        churn_flagged=any(i.churn_flag for i in insights.values()),
        expected_outcome=expected.outcome if expected else None,
        found_outcome=decision.outcome if decision else None,
        expected_credit_krw=expected.expected_credit_krw if expected else 0,
        found_credit_krw=decision.amount_krw if decision else 0,
    )


def scripted_texts(call: ScriptedCall) -> list[str]:
    """The script as written (the clean-text pass)."""
    return [turn.text for turn in call.turns]


def run_calls(runtime: AgentRuntime, calls: Sequence[ScriptedCall],
              texts: TurnTexts = scripted_texts) -> GraphRun:
    """Run every call in order through one runtime."""
    started = time.perf_counter()
    outcomes = [run_call(runtime, call, texts(call)) for call in calls]
    events = sum(len(call.turns) + 2 for call in calls)
    return GraphRun(outcomes, events, time.perf_counter() - started)
