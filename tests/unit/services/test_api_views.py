"""Read routes, approvals, chat, health, metrics and the dashboard page on fake backends."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from services.api.idempotency import IdempotencyKeys
from services.schemas import ApprovalDecided, Topic
from tests.fixtures.api import FakeBackends, FakeChat, fake_app

READER = {"X-API-Key": "reader-key"}
SUPER = {"X-API-Key": "super-key"}
SUPER2 = {"X-API-Key": "super2-key"}
CHAT = {"X-API-Key": "chat-key"}


def _client(fakes: FakeBackends) -> TestClient:
    app, _ = fake_app(fakes)
    return TestClient(app)


def _pending(approval_id: str = "apr-1") -> dict[str, object]:
    return {
        "approval_id": approval_id,
        "call_id": "call-0001",
        "customer_id": "C00001",
        "amount_krw": 45000,
        "status": "pending",
        "decided_by": None,
    }


def test_recent_calls_and_call_view() -> None:
    fakes = FakeBackends()
    with _client(fakes) as client:
        calls = client.get("/v1/calls?limit=1", headers=READER)
        view = client.get("/v1/calls/call-0001", headers=READER)
        too_many = client.get("/v1/calls?limit=1000", headers=READER)
    assert [c["call_id"] for c in calls.json()] == ["call-0002"]
    assert view.json()["call"]["dispute_outcome"] == "credit_issued"
    assert too_many.status_code == 422


def test_unknown_call_and_customer_are_404() -> None:
    with _client(FakeBackends()) as client:
        call = client.get("/v1/calls/call-9999", headers=READER)
        customer = client.get("/v1/customers/C99999", headers=READER)
    assert call.status_code == customer.status_code == 404
    assert call.json()["error"] == "not_found"


def test_approval_decision_is_stored_once_and_wakes_the_graph() -> None:
    fakes = FakeBackends()
    fakes.read_model.approvals["apr-1"] = _pending()
    with _client(fakes) as client:
        queue = client.get("/v1/approvals", headers=SUPER)
        first = client.post("/v1/approvals/apr-1", json={"approve": True}, headers=SUPER)
        retry = client.post("/v1/approvals/apr-1", json={"approve": True}, headers=SUPER)
        reverse = client.post("/v1/approvals/apr-1", json={"approve": False}, headers=SUPER)
        someone_else = client.post("/v1/approvals/apr-1", json={"approve": True}, headers=SUPER2)
        after = client.get("/v1/approvals", headers=SUPER)
    assert [a["approval_id"] for a in queue.json()] == ["apr-1"]
    assert first.status_code == 200 and first.json()["status"] == "approved"
    assert retry.status_code == 200  # the same request again is a retry
    assert reverse.status_code == someone_else.status_code == 409
    assert reverse.json()["error"] == "conflict"
    assert after.json() == []
    assert fakes.read_model.approvals["apr-1"]["decided_by"] == "김팀장"
    events = fakes.publisher.on(Topic.TRANSCRIPTS)
    assert len(events) == 2  # the decision and its retry; no event for refused ones
    assert all(isinstance(e, ApprovalDecided) and e.approved for e in events)
    assert events[0].call_id == "call-0001"
    assert all(e.decided_by == "김팀장" for e in events if isinstance(e, ApprovalDecided))


def test_the_supervisor_is_the_key_never_the_body() -> None:
    fakes = FakeBackends()
    fakes.read_model.approvals["apr-1"] = _pending()
    with _client(fakes) as client:
        claimed = client.post(
            "/v1/approvals/apr-1", json={"approve": True, "supervisor": "이과장"}, headers=SUPER
        )
    assert claimed.status_code == 422
    assert claimed.json()["detail"][0]["field"] == "body.supervisor"
    assert fakes.read_model.approvals["apr-1"]["status"] == "pending"


def test_unknown_approval_is_404_and_needs_the_scope() -> None:
    with _client(FakeBackends()) as client:
        unknown = client.post("/v1/approvals/apr-x", json={"approve": False}, headers=SUPER)
        no_scope = client.get("/v1/approvals", headers=READER)
    assert unknown.status_code == 404
    assert no_scope.status_code == 403


def test_churn_flags_and_customer_view() -> None:
    fakes = FakeBackends()
    fakes.read_model.flags = [{"call_id": "call-0002", "score": 0.82}]
    fakes.read_model.customers["C00001"] = {"customer": {"customer_id": "C00001"}}
    with _client(fakes) as client:
        flags = client.get("/v1/churn-flags", headers=READER)
        customer = client.get("/v1/customers/C00001", headers=READER)
    assert flags.json() == [{"call_id": "call-0002", "score": 0.82}]
    assert customer.json()["customer"]["customer_id"] == "C00001"


def test_chat_streams_server_sent_events_of_redacted_input() -> None:
    fakes = FakeBackends(chat=FakeChat(["첫 문장입니다.", "둘째 줄\n셋째 줄"]))
    with _client(fakes) as client:
        response = client.post(
            "/v1/chat/s-1/messages",
            json={"text": "제 번호 010-1234-5678 요금 알려 주세요"},
            headers=CHAT,
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text == (
        "data: 첫 문장입니다.\n\ndata: 둘째 줄\ndata: 셋째 줄\n\nevent: done\ndata: \n\n"
    )
    assert fakes.chat is not None
    assert fakes.chat.asked[0]["text"] == "제 번호 [전화번호] 요금 알려 주세요"
    assert fakes.chat.asked[0]["customer_id"] == "C00001"  # the key's customer


def test_chat_session_of_another_customer_is_not_found() -> None:
    fakes = FakeBackends(chat=FakeChat())
    with _client(fakes) as client:
        mine = client.post("/v1/chat/s-1/messages", json={"text": "안녕"}, headers=CHAT)
        theirs = client.post(
            "/v1/chat/s-1/messages", json={"text": "안녕"}, headers={"X-API-Key": "chat2-key"}
        )
    assert mine.status_code == 200
    assert theirs.status_code == 404
    assert theirs.json()["error"] == "not_found"


def test_chat_is_503_with_the_reason_when_not_configured() -> None:
    fakes = FakeBackends(chat=None, chat_unavailable="intent model missing")
    with _client(fakes) as client:
        response = client.post("/v1/chat/s-1/messages", json={"text": "안녕"}, headers=CHAT)
    assert response.status_code == 503
    assert "intent model missing" in response.json()["detail"]


def test_chat_session_id_leaves_room_for_the_thread_prefix() -> None:
    fakes = FakeBackends(chat=FakeChat())
    with _client(fakes) as client:
        response = client.post(
            f"/v1/chat/{'s' * 60}/messages",
            json={"text": "안녕"},
            headers=CHAT,
        )
    assert response.status_code == 422


def test_health_and_readiness() -> None:
    fakes = FakeBackends()
    with _client(fakes) as client:
        live = client.get("/healthz")
        ready = client.get("/readyz")
        fakes.read_model.down = True
        db_down = client.get("/readyz")
        fakes.read_model.down = False
        fakes.publisher.down = True
        broker_down = client.get("/readyz")
    assert live.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"broker": True, "database": True}
    assert db_down.status_code == broker_down.status_code == 503
    assert "database" in db_down.json()["detail"]
    assert "broker" in broker_down.json()["detail"]


def test_readiness_is_503_outside_the_lifespan() -> None:
    app, _ = fake_app()
    response = TestClient(app).get("/readyz")  # no `with`: the lifespan never ran
    assert response.status_code == 503


def test_metrics_count_requests_by_route_template() -> None:
    with _client(FakeBackends()) as client:
        client.get("/v1/calls/call-0001", headers=READER)
        client.get("/v1/calls/call-0002", headers=READER)
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'route="/v1/calls/{call_id}"' in text
    assert "call-0001" not in text  # raw paths would explode the series count
    assert "kcall_api_request_seconds_bucket" in text


def test_dashboard_page_is_served_and_reads_the_key_parameter() -> None:
    with _client(FakeBackends()) as client:
        response = client.get("/dashboard")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "kcall 상담 현황" in response.text
    assert 'params.has("key")' in response.text


def test_audit_trail_of_a_call_is_queryable() -> None:
    fakes = FakeBackends()
    fakes.read_model.audit = [
        {"call_id": "call-0002", "actor": "node:classify_intent", "action": "run"},
        {"call_id": "call-0002", "actor": "model:summarize", "action": "unavailable"},
        {"call_id": "call-0001", "actor": "tool:invoices", "action": "call"},
    ]
    with _client(fakes) as client:
        trail = client.get("/v1/calls/call-0002/audit", headers=READER)
        unknown = client.get("/v1/calls/call-9999/audit", headers=READER)
    assert trail.status_code == 200
    assert [e["actor"] for e in trail.json()] == ["node:classify_intent", "model:summarize"]
    assert unknown.status_code == 404


def test_dashboard_stream_sends_fresh_snapshots() -> None:
    fakes = FakeBackends()
    fakes.read_model.flags = [{"call_id": "call-0002", "customer_id": "C00002", "score": 0.82}]
    answers = iter([[], [_pending()]])
    fakes.read_model.pending_approvals = lambda: next(answers)  # type: ignore[method-assign]
    with _client(fakes) as client:
        response = client.get("/v1/dashboard/stream?interval_s=0.2&max_events=2", headers=SUPER)
        viewer = client.get("/v1/dashboard/stream?max_events=1", headers=READER)
        customer = client.get("/v1/dashboard/stream?max_events=1", headers=CHAT)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    blocks = [b for b in response.text.split("\n\n") if b]
    assert all(b.startswith("event: snapshot\ndata: ") for b in blocks)
    first, second = (json.loads(b.split("data: ", 1)[1]) for b in blocks)
    assert first["approvals"] == [] and second["approvals"][0]["approval_id"] == "apr-1"
    assert first["intents"] == {"cancellation": 1, "billing_dispute": 1}
    assert first["churn"][0]["score"] == 0.82
    assert json.loads(viewer.text.split("data: ", 1)[1])["approvals"] is None  # no scope
    assert customer.status_code == 403
    assert [e["resource"] for e in fakes.access_log.entries] == ["dashboard", "dashboard"]


def test_calls_page_and_filter() -> None:
    fakes = FakeBackends()
    fakes.read_model.calls[0]["status"] = "active"
    fakes.read_model.calls[1]["status"] = "ended"
    with _client(fakes) as client:
        second_page = client.get("/v1/calls?limit=1&offset=1", headers=READER)
        active = client.get("/v1/calls?status=active", headers=READER)
        by_customer = client.get("/v1/calls?customer_id=C00001", headers=READER)
        theirs = client.get("/v1/calls?customer_id=C00002", headers=CHAT)
        bad = client.get("/v1/calls?status=lost", headers=READER)
    assert [c["call_id"] for c in second_page.json()] == ["call-0001"]
    assert [c["call_id"] for c in active.json()] == ["call-0002"]
    assert [c["call_id"] for c in by_customer.json()] == ["call-0001"]
    assert theirs.json() == []  # a customer key never lists another customer's calls
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "query.status"


def test_an_idempotency_key_may_only_repeat_the_same_decision() -> None:
    fakes = FakeBackends()
    fakes.read_model.approvals["apr-1"] = _pending()
    fakes.read_model.approvals["apr-2"] = _pending("apr-2")
    key = {**SUPER, "Idempotency-Key": "decide-1"}
    with _client(fakes) as client:
        first = client.post("/v1/approvals/apr-1", json={"approve": True}, headers=key)
        again = client.post("/v1/approvals/apr-1", json={"approve": True}, headers=key)
        other_decision = client.post("/v1/approvals/apr-1", json={"approve": False}, headers=key)
        other_approval = client.post("/v1/approvals/apr-2", json={"approve": True}, headers=key)
        bad = client.post(
            "/v1/approvals/apr-2",
            json={"approve": True},
            headers={**SUPER, "Idempotency-Key": "no spaces"},
        )
    assert first.status_code == again.status_code == 200
    assert other_decision.status_code == other_approval.status_code == 422
    assert other_approval.json()["error"] == "idempotency_key_reused"
    assert fakes.read_model.approvals["apr-2"]["status"] == "pending"
    assert bad.status_code == 422


def test_idempotency_keys_expire_and_are_bounded() -> None:
    now = [0.0]
    keys = IdempotencyKeys(max_entries=2, ttl_s=10.0, clock=lambda: now[0])
    assert keys.claim("k", "a", "x") and keys.claim("k", "a", "x")
    assert not keys.claim("k", "a", "y")
    assert keys.claim("other-principal", "a", "y")  # keys are per principal key
    keys.claim("k", "b", "z")  # a third entry pushes out the oldest ("k", "a")
    assert keys.claim("k", "a", "y")
    now[0] += 11.0
    assert keys.claim("k", "b", "w")  # expired
