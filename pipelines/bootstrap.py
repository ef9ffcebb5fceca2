"""The composition root of the agent: real adapters wired into the graph, once per process.

The agent worker and the API (assistant chat) both build their graphs here (the call
graph and the approval graph, on one checkpointer), so the two can never drift apart in
what the graphs may touch.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from agents.approvals import ApprovalGraph, build_approval_graph
from agents.graph import AgentContext, AgentGraph, build_graph
from agents.intents import IntentClassifier
from agents.limits import AgentLimits
from agents.ports import AuditLog, Clock, SystemClock
from pipelines.agent import AgentHandler, ModelWork
from pipelines.model import ModelStageHandler
from services.config import AgentSettings, Settings
from services.db import (
    SqlApprovalStore,
    SqlAuditLog,
    SqlBillingRepository,
    SqlCallStore,
    SqlCreditLedger,
    create_engine_from_settings,
    open_checkpointer,
    session_factory,
)
from services.db.write_behind import WriteBehindSaver
from services.llm import LlmChatModel, build_chat_model

__all__ = [
    "AgentRuntime",
    "agent_limits",
    "build_agent_runtime",
    "build_model_stage",
    "load_intent_model",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AgentRuntime:
    """Everything a process needs to run the graph; valid inside `build_agent_runtime`."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    graph: AgentGraph
    approval_graph: ApprovalGraph
    context: AgentContext
    calls: SqlCallStore
    checkpoints: WriteBehindSaver

    def handler(self) -> AgentHandler:
        """The agent stage's handler on this runtime (inbox = the calls store).

        Model work goes to the model stage unless the graph asks its model inline (the
        hot-path baseline, `agent.model_on_hot_path`) or no model is configured at all.
        The handler turns on the checkpointer's write-behind (flushed once per poll batch,
        before the commit); the API's runtime never does, so it writes through.
        """
        agent = self.settings.agent
        work = None
        if self.context.chat_model is None and self.settings.llm.enabled:
            work = ModelWork(intents=self.context.intents,
                             intent_threshold=agent.intent_llm_threshold,
                             deadline_s=agent.model_deadline_s)
        return AgentHandler(self.graph, self.context, approval_graph=self.approval_graph,
                            inbox=self.calls,
                            end_wait_s=agent.summary_wait_s, model_work=work,
                            checkpoints=self.checkpoints.defer(),
                            start_wait_s=self.settings.kafka.reorder_window_s)


def load_intent_model(settings: Settings) -> IntentClassifier:
    """The fast intent tier: the cached model under the data dir, trained on first use."""
    from agents.intents import load_or_train
    from agents.intents.store import DEFAULT_SEED
    from pipelines.intent_data import training_examples
    from services.intent_model_files import FileIntentModelStore

    classifier = load_or_train(FileIntentModelStore(settings.paths.data / "models"),
                               lambda: training_examples(seed=DEFAULT_SEED), seed=DEFAULT_SEED)
    # The morphological analyzer loads its dictionary on first use (seconds): pay that
    # before the worker reports ready, not on the first caller's utterance.
    classifier.predict("이번 달 요금이 두 번 청구된 것 같아요")
    return classifier


@contextmanager
def build_agent_runtime(
    settings: Settings,
    *,
    llm_base_url: str | None,
    intents: IntentClassifier | None = None,
    clock: Clock | None = None,
) -> Iterator[AgentRuntime]:
    """Build engine, repositories, checkpointer, chat model, intent model, graph and context.

    Args:
        settings: The process settings.
        llm_base_url: The OpenAI-compatible server; None (or `settings.llm.enabled` False)
            runs every node on its deterministic path.
        intents: A ready fast-tier model (tests); default: `load_intent_model(settings)`.
        clock: Injected time (tests); default: the system clock in UTC.
    """
    clock = clock or SystemClock()
    engine = create_engine_from_settings(settings)
    with ExitStack() as stack:
        stack.callback(engine.dispose)
        sessions = session_factory(engine)
        checkpointer = WriteBehindSaver(
            stack.enter_context(
                open_checkpointer(settings.agent.checkpointer_url or settings.database_url())),
            # Approval threads are also resumed by the API process: always written through.
            deferrable=lambda thread_id: "/approval/" not in thread_id)
        # Closing flushes what the last batch left in memory (a head start for the next
        # owner; never required, as those offsets were not committed).
        stack.callback(_flush_quietly, checkpointer)
        chat_model = _chat_model(settings, llm_base_url)
        if chat_model is not None:
            stack.callback(chat_model.close)
        context = AgentContext(
            billing=SqlBillingRepository(sessions),
            ledger=SqlCreditLedger(sessions, clock=clock),
            approvals=SqlApprovalStore(sessions, clock=clock),
            audit=_audit(settings, SqlAuditLog(sessions, clock=clock)),
            clock=clock,
            intents=intents or load_intent_model(settings),
            limits=agent_limits(settings.agent),
            chat_model=chat_model,
            callbacks=_graph_callbacks(settings),
        )
        yield AgentRuntime(settings=settings, engine=engine, sessions=sessions,
                           graph=build_graph(checkpointer),
                           approval_graph=build_approval_graph(checkpointer), context=context,
                           checkpoints=checkpointer,
                           calls=SqlCallStore(sessions, clock=clock))


@contextmanager
def build_model_stage(settings: Settings) -> Iterator[ModelStageHandler]:
    """The model stage's handler on a chat model of `settings.llm.base_url`."""
    if not settings.llm.base_url:
        raise ValueError("the model stage needs an LLM server: set KCALL_LLM_BASE_URL")
    agent = settings.agent
    llm = settings.llm.model_copy(update={"timeout_s": agent.model_timeout_s,
                                          "concurrency": agent.model_stage_concurrency})
    chat_model = build_chat_model(settings.model_copy(update={"llm": llm}),
                                  base_url=settings.llm.base_url)
    engine = create_engine_from_settings(settings)
    clock = SystemClock()
    handler = ModelStageHandler(chat_model, now=clock.now,
                                concurrency=agent.model_stage_concurrency,
                                max_queued=agent.model_stage_queue,
                                audit=_audit(settings,
                                             SqlAuditLog(session_factory(engine), clock=clock)))
    try:
        yield handler
    finally:
        handler.close()
        chat_model.close()
        engine.dispose()


def agent_limits(agent: AgentSettings) -> AgentLimits:
    """The core's thresholds and limits, read from the agent settings (same names)."""
    return AgentLimits(**{f.name: getattr(agent, f.name) for f in fields(AgentLimits)})


def _audit(settings: Settings, audit: AuditLog) -> AuditLog:
    if not (settings.trace.enabled and settings.trace.graph):
        return audit
    from services.observability.graph_spans import AuditSpans

    return AuditSpans(audit)


def _graph_callbacks(settings: Settings) -> tuple[Any, ...]:
    if not (settings.trace.enabled and settings.trace.graph):
        return ()
    from services.observability.graph_spans import NodeSpans

    return (NodeSpans(),)


def _chat_model(settings: Settings, base_url: str | None) -> LlmChatModel | None:
    if not settings.llm.enabled or not base_url:
        _log.info("LLM disabled or no server: deterministic paths only")
        return None
    # No audit here: the graph's nodes audit every model call with its call id.
    return build_chat_model(settings, base_url=base_url)


def _flush_quietly(checkpoints: WriteBehindSaver) -> None:
    try:
        checkpoints.flush()
    except Exception as error:  # uncommitted input is replayed by the next owner anyway
        _log.warning("checkpoints not flushed on close: %r", error)
