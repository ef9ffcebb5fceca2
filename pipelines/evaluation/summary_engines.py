"""The summary path graded per engine on the committed test calls (`kcall eval llm`).

Each call runs through the real graph on its deterministic path (as the live agent stage
does); its summary request then goes to each engine through the model stage's own logic
(`agents.revisions.revise`: the same prompt, schema and rule checks), and the result is
scored against the call's ground truth. Engines: "rules" (the template, no model), each
embedded model (its own llama.cpp server, started in turn) and, when KCALL_LLM_BASE_URL is
set, that server.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from agents.evaluation.summaries import EngineScore, SummaryTrial, score_engine
from agents.graph import call_state, end_call, handle_utterance, start_call
from agents.graph.model_work import summary_request
from agents.korean import redact
from agents.ports import ChatModel
from agents.revisions import Revised, revise
from pipelines.evaluation.graph_runs import eval_runtime
from services.config import Settings
from services.schemas import CallEnded, CallStarted, CallSummary, ModelRequest, Utterance
from simulator import ScriptedCall, SyntheticWorld, text_timeline

__all__ = ["RULES", "CallCase", "default_engines", "grade_engines", "prepare_cases"]

RULES = "rules"


@dataclass(frozen=True)
class CallCase:
    """One test call: its ground truth, the rules' summary and the model request."""

    call: ScriptedCall
    rules: CallSummary
    request: ModelRequest


def prepare_cases(
    settings: Settings, calls: Sequence[ScriptedCall], world: SyntheticWorld
) -> list[CallCase]:
    """Run the calls through the deterministic graph; keep each summary and its request."""
    from pipelines.bootstrap import load_intent_model

    cases: list[CallCase] = []
    with tempfile.TemporaryDirectory(prefix="kcall-eval-llm-") as workdir, eval_runtime(
        settings, workdir=Path(workdir), world=world,
        intents=load_intent_model(settings), llm_base_url=None,
    ) as runtime:
        graph, context = runtime.graph, runtime.context
        for call in calls:
            start_call(graph, context, CallStarted(call_id=call.call_id,
                                                   customer_id=call.customer_id))
            for segment in text_timeline(call):
                handle_utterance(graph, context, Utterance(
                    call_id=call.call_id, seq=segment.seq, speaker=segment.speaker,
                    text=redact(call.turns[segment.seq].text).text, start_ms=segment.start_ms,
                    end_ms=segment.end_ms, confidence=1.0))
            summary = end_call(graph, context, CallEnded(call_id=call.call_id,
                                                         utterances=len(call.turns)))
            request = summary_request(call_state(graph, call.call_id), summary,
                                      now=context.clock.now(), deadline_s={"summary": 86400})
            cases.append(CallCase(call, summary, request))
    return cases


def _trial(case: CallCase, summary: CallSummary | None, **extra: object) -> SummaryTrial:
    truth = case.call.truth
    expected = truth.expected_dispute
    return SummaryTrial(intents=list(truth.expected_intents),
                        outcome=case.rules.dispute.outcome if case.rules.dispute else None,
                        amount_krw=expected.expected_credit_krw if expected else 0,
                        summary=summary, **extra)  # type: ignore[arg-type]


def _grade(chat: ChatModel, cases: Sequence[CallCase]) -> list[SummaryTrial]:
    trials = []
    for case in cases:
        now = case.request.occurred_at
        request = case.request.model_copy(update={"deadline_at": now + timedelta(days=1)})
        started = time.perf_counter()
        result = revise(request, chat, now=now)
        latency = (time.perf_counter() - started) * 1000
        if isinstance(result, Revised) and isinstance(result.message, CallSummary):
            trials.append(_trial(case, result.message, latency_ms=latency, tokens=result.tokens))
        else:
            trials.append(_trial(case, None, rejected=getattr(result, "reason", "error"),
                                 latency_ms=latency, tokens=result.tokens))
    return trials


@contextmanager
def _engine(settings: Settings, engine: str) -> Iterator[ChatModel]:
    from services.llm import EmbeddedLlmServer, build_chat_model

    llm = settings.llm.model_copy(update={"timeout_s": settings.agent.model_timeout_s,
                                          "node_timeout_s": {}})
    if engine == "server":
        chat = build_chat_model(settings.model_copy(update={"llm": llm}), base_url=llm.base_url)
        try:
            yield chat
        finally:
            chat.close()
        return
    llm = llm.model_copy(update={"embedded_model": engine, "model": engine, "base_url": None})
    engine_settings = settings.model_copy(update={"llm": llm})
    with EmbeddedLlmServer(engine_settings) as server:
        chat = build_chat_model(engine_settings, base_url=server.base_url)
        try:
            yield chat
        finally:
            chat.close()


def grade_engines(settings: Settings, cases: Sequence[CallCase],
                  engines: Sequence[str]) -> list[EngineScore]:
    """Score every engine on the same cases ("rules" needs no model)."""
    scores = []
    for engine in engines:
        if engine == RULES:
            trials = [_trial(case, case.rules) for case in cases]
        else:
            with _engine(settings, engine) as chat:
                trials = _grade(chat, cases)
        scores.append(score_engine(engine, trials))
    return scores


def default_engines(settings: Settings) -> list[str]:
    """Rules, every embedded model, and the configured server when there is one."""
    from services.llm.catalog import CATALOG

    return [RULES, *CATALOG, *(["server"] if settings.llm.base_url else [])]
