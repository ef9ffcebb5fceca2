"""The composition root of the agent: real adapters wired into the graph, once per process.

The agent worker and the API (assistant chat, approval resumes) both build their graph
here, so the two can never drift apart in what the graph may touch.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from agents.graph import AgentContext, AgentGraph, build_graph
from agents.intents import IntentClassifier
from agents.ports import Clock
from pipelines.agent import AgentHandler
from services.config import Settings
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
from services.llm import LlmChatModel, build_chat_model

__all__ = ["AgentRuntime", "build_agent_runtime", "load_intent_model"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AgentRuntime:
    """Everything a process needs to run the graph; valid inside `build_agent_runtime`."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    graph: AgentGraph
    context: AgentContext
    calls: SqlCallStore

    def handler(self) -> AgentHandler:
        """The agent stage's handler on this runtime (inbox = the calls store)."""
        return AgentHandler(self.graph, self.context, inbox=self.calls,
                            end_wait_s=self.settings.agent.summary_wait_s)


def load_intent_model(settings: Settings) -> IntentClassifier:
    """The fast intent tier: the cached model under the data dir, trained on first use."""
    from agents.intents import load_or_train
    from agents.intents.store import DEFAULT_SEED
    from pipelines.intent_data import training_examples

    return load_or_train(settings.paths.data / "models",
                         lambda: training_examples(seed=DEFAULT_SEED), seed=DEFAULT_SEED)


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
    clock = clock or _UtcClock()
    engine = create_engine_from_settings(settings)
    with ExitStack() as stack:
        stack.callback(engine.dispose)
        sessions = session_factory(engine)
        checkpointer = stack.enter_context(
            open_checkpointer(settings.agent.checkpointer_url or settings.database_url()))
        chat_model = _chat_model(settings, llm_base_url)
        if chat_model is not None:
            stack.callback(chat_model.close)
        context = AgentContext(
            billing=SqlBillingRepository(sessions),
            ledger=SqlCreditLedger(sessions, clock=clock),
            approvals=SqlApprovalStore(sessions, clock=clock),
            audit=SqlAuditLog(sessions, clock=clock),
            clock=clock,
            intents=intents or load_intent_model(settings),
            settings=settings.agent,
            chat_model=chat_model,
        )
        yield AgentRuntime(settings=settings, engine=engine, sessions=sessions,
                           graph=build_graph(checkpointer), context=context,
                           calls=SqlCallStore(sessions, clock=clock))


def _chat_model(settings: Settings, base_url: str | None) -> LlmChatModel | None:
    if not settings.llm.enabled or not base_url:
        _log.info("LLM disabled or no server: deterministic paths only")
        return None
    # No audit here: the graph's nodes audit every model call with its call id.
    return build_chat_model(settings, base_url=base_url)


class _UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
