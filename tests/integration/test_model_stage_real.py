"""The model stage against the real embedded LLM server, answered into a real database.

A call runs through the real graph on its deterministic path (the live path); its summary
request goes to the model stage on the real llama.cpp server; the answer (a revision, or
a rejection with its reason) goes through the real sink. Whatever the model wrote, the
rules' facts survive, the model's tokens are counted, and a redelivered answer changes
nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy.orm import Session, sessionmaker

from agents.graph import build_graph
from pipelines.agent import AgentHandler, ModelWork
from pipelines.model import ModelStageHandler, ModelStageStats
from pipelines.sink import SinkHandler
from pipelines.stage import Incoming, Outgoing
from services.config.settings import Settings
from services.db import SqlCallStore
from services.llm import build_chat_model
from services.schemas import (
    CallEnded,
    CallStarted,
    CallSummary,
    ModelRequest,
    RevisionSource,
    Speaker,
    Topic,
    Utterance,
)
from tests.unit.agents.fakes import FakeIntents, approval_graph_of, ports, world

pytestmark = pytest.mark.integration

LINES = ["이번 달 요금에 컬러링이 두 번 청구됐어요", "확인해 드리겠습니다",
         "네 빨리 좀 정리해 주세요 요즘 요금이 너무 많이 나와서요"]


def _rules_outputs() -> list[Outgoing]:
    work = ModelWork(intents=FakeIntents(), intent_threshold=0.55,  # type: ignore[arg-type]
                     deadline_s={"summary": 600, "explanation": 600, "intent": 600})
    fakes = ports(world("duplicate_charge"))
    graph = build_graph(InMemorySaver())
    agent = AgentHandler(graph, fakes.context(), approval_graph=approval_graph_of(graph),
                         model_work=work)
    events = [CallStarted(call_id="c-real", customer_id="C1")]
    events += [Utterance(call_id="c-real", seq=i, text=text, start_ms=0, end_ms=1, confidence=0.9,
                         speaker=Speaker.AGENT if i == 1 else Speaker.CUSTOMER)
               for i, text in enumerate(LINES)]
    events.append(CallEnded(call_id="c-real", utterances=len(LINES)))
    outputs: list[Outgoing] = []
    for offset, event in enumerate(events):
        outputs += agent.handle(Incoming(event, 0, offset))
    return outputs


@dataclass(frozen=True)
class _Asked:
    rules: CallSummary
    answers: list[Outgoing]
    stats: ModelStageStats


@pytest.fixture(scope="module")
def asked(llm_base_url: str) -> _Asked:
    """One real model answer for the module: the databases below only store it."""
    outputs = _rules_outputs()
    summaries = [o.message for o in outputs if o.topic is Topic.SUMMARIES]
    requests = [o.message for o in outputs if o.topic is Topic.MODEL_REQUESTS]
    assert len(summaries) == 1 and isinstance(summaries[0], CallSummary)
    made = next(r for r in requests if isinstance(r, ModelRequest) and r.summary is not None)
    # The fake clock of the graph's ports is fixed in the past; the stage runs on real time.
    summary_request = made.model_copy(
        update={"deadline_at": datetime.now(UTC) + timedelta(minutes=10)})

    settings = Settings()
    llm = settings.llm.model_copy(update={"base_url": llm_base_url, "timeout_s": 240.0,
                                          "node_timeout_s": {}})
    chat = build_chat_model(settings.model_copy(update={"llm": llm}), base_url=llm_base_url)
    stage = ModelStageHandler(chat, now=lambda: datetime.now(UTC))
    answers: list[Outgoing] = []
    try:
        stage.handle(Incoming(summary_request, 0, 0))
        deadline = time.monotonic() + 300
        while stage.safe_offset(0) is not None and time.monotonic() < deadline:
            answers += stage.tick(time.monotonic())
            time.sleep(0.2)
        answers += stage.tick(time.monotonic())
    finally:
        stage.close()
        chat.close()
    return _Asked(summaries[0], answers, stage.stats)


def test_a_real_model_revision_reaches_the_call_view_or_the_rules_stay(
    asked: _Asked, session_factory: sessionmaker[Session]
) -> None:
    rules, answers, stats = asked.rules, asked.answers, asked.stats
    asked_once = sum(stats.answered.values()) + sum(stats.rejected.values())
    assert asked_once == 1, stats
    assert stats.tokens > 0  # the model ran, so its tokens were counted
    print(f"model stage: answered={dict(stats.answered)} rejected={dict(stats.rejected)} "
          f"tokens={stats.tokens}")

    sink = SinkHandler(session_factory)
    for offset, message in enumerate([rules, *(a.message for a in answers)]):
        sink.handle(Incoming(message, 0, offset))
    view = SqlCallStore(session_factory).call_view(call_id="c-real")
    assert view is not None and view.summary is not None
    if answers:
        revised = answers[0].message
        assert isinstance(revised, CallSummary)
        assert (view.summary.revision, view.summary.source) == (1, RevisionSource.MODEL)
        assert view.summary.resolution == rules.resolution  # facts are the rules'
        assert view.summary.dispute == rules.dispute
        assert revised.model_tokens == stats.tokens
        sink.handle(Incoming(revised, 0, 99))  # redelivered
        again = SqlCallStore(session_factory).call_view(call_id="c-real")
        assert again is not None and again.summary == view.summary
    else:
        assert (view.summary.revision, view.summary.source) == (0, RevisionSource.RULES)
