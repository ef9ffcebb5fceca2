"""The handoff queue routes on fake backends, and the chat assistant's handoff on the graph."""

from __future__ import annotations

import anyio
from fastapi.testclient import TestClient
from langgraph.checkpoint.memory import InMemorySaver

from agents.graph import build_graph
from agents.policies.handoff import HANDOFF_MESSAGE
from services.api.assistant import GraphAssistant, chat_thread_id
from services.schemas import HandoffReason, HandoffRequested
from tests.fixtures.api import FakeBackends, fake_app
from tests.unit.agents.fakes import approval_graph_of, ports, world

READER = {"X-API-Key": "reader-key"}
SUPER = {"X-API-Key": "super-key"}
SUPER2 = {"X-API-Key": "super2-key"}
CHAT = {"X-API-Key": "chat-key"}


def _waiting(handoff_id: str, call_id: str) -> dict[str, object]:
    return {"handoff_id": handoff_id, "call_id": call_id, "customer_id": "C00001",
            "reason": "customer_request", "status": "waiting", "claimed_by": None}


def test_the_queue_lists_waiting_handoffs_and_a_claim_succeeds_once() -> None:
    fakes = FakeBackends()
    fakes.read_model.waiting = [_waiting("h-1", "call-0001"), _waiting("h-2", "call-0002")]
    app, _ = fake_app(fakes)
    with TestClient(app) as client:
        queue = client.get("/v1/handoffs", headers=READER)
        first = client.post("/v1/handoffs/h-1/claim", headers=SUPER)
        again = client.post("/v1/handoffs/h-1/claim", headers=SUPER)
        other = client.post("/v1/handoffs/h-1/claim", headers=SUPER2)
        after = client.get("/v1/handoffs", headers=READER)
    assert queue.status_code == 200
    assert [h["handoff_id"] for h in queue.json()] == ["h-1", "h-2"]
    assert first.status_code == 200 and first.json()["claimed_by"] == "김팀장"
    assert again.status_code == 409 and other.status_code == 409
    assert "already claimed" in other.json()["detail"]
    assert [h["handoff_id"] for h in after.json()] == ["h-2"]


def test_unknown_bad_ids_and_customer_keys_are_refused() -> None:
    app, _ = fake_app(FakeBackends())
    with TestClient(app) as client:
        unknown = client.post("/v1/handoffs/h-x/claim", headers=SUPER)
        bad_id = client.post("/v1/handoffs/h%20x%3B/claim", headers=SUPER)
        too_many = client.get("/v1/handoffs?limit=100000", headers=READER)
        customer = client.get("/v1/handoffs", headers=CHAT)
        anonymous = client.post("/v1/handoffs/h-1/claim")
    assert unknown.status_code == 404 and "unknown handoff" in unknown.json()["detail"]
    assert bad_id.status_code == 422 and too_many.status_code == 422
    assert customer.status_code == 403 and anonymous.status_code == 401


def _ask(assistant: GraphAssistant, session_id: str, text: str) -> str:
    async def collect() -> str:
        return " ".join([piece async for piece in assistant.reply(
            session_id=session_id, customer_id="C1", text=text)])

    return anyio.run(collect)


def test_the_chat_answers_a_request_for_a_person_politely_and_queues_it() -> None:
    sent: list[HandoffRequested] = []
    graph = build_graph(InMemorySaver())
    assistant = GraphAssistant(graph, ports(world(None)).context(),
                               approval_graph=approval_graph_of(graph), on_handoff=sent.append)
    before = _ask(assistant, "s-1", "로밍 요금이 궁금해요")
    reply = _ask(assistant, "s-1", "저기요, 사람이랑 통화하고 싶어요")
    later = _ask(assistant, "s-1", "로밍 요금이 궁금해요")
    assert sent and not any(h.utterance_seq == 0 for h in sent)
    assert reply == HANDOFF_MESSAGE and before != HANDOFF_MESSAGE and later != HANDOFF_MESSAGE
    handoff = sent[0]
    assert handoff.reason is HandoffReason.CUSTOMER_REQUEST and handoff.source == "chat"
    assert handoff.call_id == chat_thread_id("s-1") and handoff.utterance_seq == 1
    # Later turns send the same handoff again (same id), so a lost send is repaired.
    assert len(sent) == 2 and {h.message_id for h in sent} == {handoff.message_id}
