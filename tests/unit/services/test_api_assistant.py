"""The assistant chat on the real agent graph (in-memory checkpointer, fake ports)."""

from __future__ import annotations

import anyio
import pytest
from fastapi.testclient import TestClient
from langgraph.checkpoint.memory import InMemorySaver

from agents.graph import build_graph, call_state
from services.api.assistant import GraphAssistant, chat_thread_id
from services.schemas import CallInsight, DisputeOutcome
from tests.fixtures.api import FakeBackends, fake_app
from tests.unit.agents.fakes import Ports, approval_graph_of, ports, world


def _assistant(fakes: Ports, insights: list[CallInsight]) -> GraphAssistant:
    graph = build_graph(InMemorySaver())
    return GraphAssistant(graph, fakes.context(), approval_graph=approval_graph_of(graph),
                          on_insight=insights.append)


def _ask(assistant: GraphAssistant, session_id: str, customer_id: str, text: str) -> list[str]:
    async def collect() -> list[str]:
        return [
            piece
            async for piece in assistant.reply(
                session_id=session_id, customer_id=customer_id, text=text
            )
        ]

    return anyio.run(collect)


def test_chat_cannot_credit_above_the_chat_limit() -> None:
    fakes = ports(world("vas_without_consent"))  # 7,900 won, over the 5,000 won chat cap
    insights: list[CallInsight] = []
    assistant = _assistant(fakes, insights)
    pieces = _ask(assistant, "s1", "C1", "가입한 적 없는 뮤직 서비스 요금이 청구됐어요")
    assert fakes.ledger.credits == {}
    assert "승인" in "".join(pieces)
    (insight,) = insights
    assert insight.call_id == chat_thread_id("s1") == "chat-s1"
    assert insight.dispute is not None
    assert insight.dispute.outcome is DisputeOutcome.PENDING_APPROVAL


def test_chat_credits_a_small_clear_anomaly_once_per_session_turn() -> None:
    fakes = ports(world("duplicate_charge"))
    insights: list[CallInsight] = []
    assistant = _assistant(fakes, insights)
    _ask(assistant, "s2", "C1", "컬러링이 두 번 청구됐어요")
    _ask(assistant, "s2", "C1", "컬러링이 두 번 청구됐어요")
    assert fakes.ledger.total == 1_650  # the ledger key makes the repeat a no-op
    assert [i.utterance_seq for i in insights] == [0, 1]


def test_a_session_belongs_to_its_first_customer() -> None:
    fakes = ports(world(None))
    assistant = _assistant(fakes, [])
    _ask(assistant, "s3", "C1", "요금제 바꾸고 싶어요")
    with pytest.raises(ValueError, match="another customer"):
        _ask(assistant, "s3", "C2", "요금제 바꾸고 싶어요")


def test_chat_threads_are_opened_on_the_chat_channel() -> None:
    fakes = ports(world(None))
    graph = build_graph(InMemorySaver())
    assistant = GraphAssistant(graph, fakes.context(), approval_graph=approval_graph_of(graph))
    _ask(assistant, "s4", "C1", "안녕하세요")
    state = call_state(graph, "chat-s4")
    assert state.get("source") == "chat"
    assert state.get("customer_id") == "C1"


def test_chat_over_http_on_the_graph() -> None:
    fakes = ports(world("duplicate_charge"))
    backends = FakeBackends(chat=None)
    app, _ = fake_app(backends)
    backends.chat = _assistant(fakes, [])  # type: ignore[assignment]
    with TestClient(app) as client:
        response = client.post(
            "/v1/chat/web-1/messages",
            json={"text": "컬러링이 두 번 청구됐어요"},
            headers={"X-API-Key": "world-key"},
        )
    assert response.status_code == 200
    assert response.text.endswith("event: done\ndata: \n\n")
    assert "data: " in response.text
    assert fakes.ledger.total == 1_650


def test_the_session_view_is_the_owners_only() -> None:
    fakes = ports(world("duplicate_charge"))
    assistant = _assistant(fakes, [])
    _ask(assistant, "s5", "C1", "컬러링이 두 번 청구됐어요")
    view = assistant.session(session_id="s5", customer_id="C1")
    assert view is not None
    assert view["turns"] == 1
    assert view["messages"][0]["text"] == "컬러링이 두 번 청구됐어요"
    assert view["credited_krw"] == 1_650
    assert view["disputes"][0]["amount_krw"] == 1_650
    assert assistant.session(session_id="s5", customer_id="C2") is None
    assert assistant.session(session_id="nope", customer_id="C1") is None
