"""Principals, not just scopes: customer keys see only their own data, supervisors are keys.

Keys from the database are argon2id hashes (FakeKeyStore uses the real hasher); reads of
personal data land in the access log with who, what and when.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from services.api.keys import KeyResolver, hash_secret, split_key, verify_secret
from tests.fixtures.api import FakeBackends, FakeChat, FakeKeyStore, fake_app, sample_calls

CUSTOMER_1 = {"X-API-Key": "chat-key"}  # bound to C00001
CUSTOMER_2 = {"X-API-Key": "chat2-key"}  # bound to C00002
READER = {"X-API-Key": "reader-key"}


def _fakes() -> FakeBackends:
    fakes = FakeBackends(chat=FakeChat())
    fakes.read_model.customers["C00001"] = {"customer": {"customer_id": "C00001"}}
    fakes.read_model.customers["C00002"] = {"customer": {"customer_id": "C00002"}}
    return fakes


def _client(fakes: FakeBackends, **api_overrides: object) -> TestClient:
    app, _ = fake_app(fakes, **api_overrides)
    return TestClient(app)


def test_a_customer_key_reads_its_own_call_and_customer_only() -> None:
    fakes = _fakes()
    with _client(fakes) as client:
        own_call = client.get("/v1/calls/call-0001", headers=CUSTOMER_1)
        other_call = client.get("/v1/calls/call-0002", headers=CUSTOMER_1)
        own = client.get("/v1/customers/C00001", headers=CUSTOMER_1)
        other = client.get("/v1/customers/C00002", headers=CUSTOMER_1)
        me = client.get("/v1/me", headers=CUSTOMER_2)
        listing = client.get("/v1/calls", headers=CUSTOMER_1)
    assert own_call.status_code == 200
    assert own.status_code == 200 and own.json()["customer"]["customer_id"] == "C00001"
    # Another customer's data does not exist for this key: 404, the same as an unknown id.
    assert other_call.status_code == other.status_code == 404
    assert other_call.json() == {
        "error": "not_found",
        "detail": "통화 call-0002를 찾을 수 없습니다 (unknown call)",
    }
    assert me.json()["customer"]["customer_id"] == "C00002"
    assert [c["customer_id"] for c in listing.json()] == ["C00001"]


def test_staff_only_views_are_closed_to_customer_keys() -> None:
    with _client(_fakes()) as client:
        answers = [
            client.get("/v1/calls/call-0001/audit", headers=CUSTOMER_1),
            client.get("/v1/churn-flags", headers=CUSTOMER_1),
            client.get("/v1/approvals", headers=CUSTOMER_1),
            client.post("/v1/approvals/apr-1", json={"approve": True}, headers=CUSTOMER_1),
            client.post("/v1/calls", json={"customer_id": "C00001"}, headers=CUSTOMER_1),
        ]
        staff_me = client.get("/v1/me", headers=READER)
    assert [a.status_code for a in answers] == [403] * 5
    assert staff_me.status_code == 403


def test_staff_read_any_customer() -> None:
    with _client(_fakes()) as client:
        calls = client.get("/v1/calls", headers=READER)
        customer = client.get("/v1/customers/C00002", headers=READER)
    assert len(calls.json()) == len(sample_calls())
    assert customer.status_code == 200


def test_chat_customer_comes_from_the_key_never_the_body() -> None:
    fakes = _fakes()
    with _client(fakes) as client:
        claimed = client.post(
            "/v1/chat/s-9/messages",
            json={"customer_id": "C00002", "text": "요금 알려 주세요"},
            headers=CUSTOMER_1,
        )
        staff = client.post("/v1/chat/s-9/messages", json={"text": "안녕"}, headers=READER)
        dev = client.post(
            "/v1/chat/s-9/messages", json={"text": "안녕"}, headers={"X-API-Key": "all-key"}
        )
        mine = client.post("/v1/chat/s-9/messages", json={"text": "안녕"}, headers=CUSTOMER_1)
    assert claimed.status_code == 422
    assert claimed.json()["detail"][0]["field"] == "body.customer_id"
    assert staff.status_code == dev.status_code == 403
    assert mine.status_code == 200
    assert fakes.chat is not None
    assert [a["customer_id"] for a in fakes.chat.asked] == ["C00001"]
    (entry,) = fakes.access_log.entries
    assert (entry["resource"], entry["resource_id"], entry["customer_id"]) == (
        "chat_session",
        "s-9",
        "C00001",
    )


def test_every_personal_data_read_is_in_the_access_log() -> None:
    fakes = _fakes()
    with _client(fakes) as client:
        client.get("/v1/calls/call-0001", headers=CUSTOMER_1)
        client.get("/v1/customers/C00002", headers=READER)
        client.get("/v1/calls/call-0002", headers=CUSTOMER_1)  # refused: nothing was read
    entries = fakes.access_log.entries
    assert [(e["role"], e["subject"], e["resource"], e["resource_id"]) for e in entries] == [
        ("customer", "C00001", "call", "call-0001"),
        ("staff", entries[1]["subject"], "customer", "C00002"),
    ]
    assert entries[0]["customer_id"] == "C00001" and entries[1]["customer_id"] == "C00002"
    assert all(e["action"] == "read" and e["key_id"] for e in entries)
    assert "reader-key" not in str(entries)  # the key itself is never logged


def test_no_access_log_entry_means_no_answer() -> None:
    fakes = _fakes()
    fakes.access_log.down = True
    with _client(fakes) as client:
        response = client.get("/v1/customers/C00001", headers=READER)
    assert response.status_code == 503
    assert "access log" in response.json()["detail"]


def test_database_keys_are_hashed_bound_and_revocable_without_restart() -> None:
    fakes = _fakes()
    with _client(fakes, key_cache_seconds=0) as client:
        key = fakes.keys.issue("customer", "C00002")  # created while the app runs
        mine = client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
        other = client.get("/v1/customers/C00001", headers={"X-API-Key": key})
        parts = split_key(key)
        assert parts is not None
        wrong = client.get("/v1/me", headers={"X-API-Key": f"kcall_{parts[0]}_not-the-secret"})
        fakes.keys.revoke(key)
        revoked = client.get("/v1/me", headers={"X-API-Key": key})
    assert mine.status_code == 200 and mine.json()["customer"]["customer_id"] == "C00002"
    assert other.status_code == 404
    assert wrong.status_code == revoked.status_code == 401
    (row,) = fakes.keys.rows.values()
    assert row.secret_hash.startswith("$argon2id$")
    assert parts[1] not in row.secret_hash and key not in row.secret_hash


def test_supervisor_database_key_decides_as_its_subject() -> None:
    fakes = _fakes()
    fakes.read_model.approvals["apr-7"] = {
        "approval_id": "apr-7",
        "call_id": "call-0001",
        "customer_id": "C00001",
        "amount_krw": 45000,
        "status": "pending",
        "decided_by": None,
    }
    with _client(fakes) as client:
        boss = fakes.keys.issue("supervisor", "박팀장")
        ingest = fakes.keys.issue("ingest", "ivr-gateway")
        refused = client.post(
            "/v1/approvals/apr-7", json={"approve": True}, headers={"X-API-Key": ingest}
        )
        decided = client.post(
            "/v1/approvals/apr-7", json={"approve": True}, headers={"X-API-Key": boss}
        )
        other = client.post(
            "/v1/approvals/apr-7", json={"approve": True}, headers={"X-API-Key": "super-key"}
        )
    assert refused.status_code == 403
    assert decided.status_code == 200 and decided.json()["decided_by"] == "박팀장"
    assert other.status_code == 409  # the same decision by a different supervisor


def test_verified_keys_are_cached_so_argon2_runs_once_per_key() -> None:
    fakes = _fakes()
    with _client(fakes, key_cache_seconds=3600) as client:
        key = fakes.keys.issue("viewer", "wallboard")
        codes = [client.get("/v1/calls", headers={"X-API-Key": key}).status_code for _ in range(5)]
    assert codes == [200] * 5
    assert fakes.keys.lookups == 1


def test_unknown_keys_are_rate_limited_before_they_are_checked() -> None:
    fakes = _fakes()
    with _client(fakes, rate_limit_per_minute=3) as client:
        codes = [
            client.get("/v1/calls", headers={"X-API-Key": "kcall_abcdef_guess"}).status_code
            for _ in range(5)
        ]
    assert codes == [401, 401, 401, 429, 429]
    assert fakes.keys.lookups == 3  # the bucket ran out before the store was asked again


def test_source_address_is_limited_whatever_the_keys() -> None:
    with _client(_fakes(), rate_limit_per_address_per_minute=4) as client:
        codes = [
            client.get("/v1/calls", headers={"X-API-Key": f"random-{i}"}).status_code
            for i in range(4)
        ]
        missing = client.get("/v1/calls")
        valid = client.get("/v1/calls", headers=READER)
    assert codes == [401] * 4
    assert missing.status_code == valid.status_code == 429
    assert valid.json()["error"] == "rate_limited"


def test_a_principal_shares_one_bucket_across_its_keys() -> None:
    fakes = _fakes()
    with _client(fakes, rate_limit_per_minute=3) as client:
        first = fakes.keys.issue("customer", "C00001")
        second = fakes.keys.issue("customer", "C00001")
        codes = [
            client.get("/v1/me", headers={"X-API-Key": key}).status_code
            for key in (first, first, second, second)
        ]
        static_key = client.get("/v1/me", headers=CUSTOMER_1)  # same customer, settings key
    assert codes == [200, 200, 200, 429]
    assert static_key.status_code == 429


def test_hash_and_verify() -> None:
    digest = hash_secret("s3cret")
    assert digest.startswith("$argon2id$")
    assert verify_secret(digest, "s3cret")
    assert not verify_secret(digest, "other")
    assert not verify_secret("not a hash", "s3cret")


def test_guessing_a_key_ids_secret_stops_costing_argon2() -> None:
    fakes = _fakes()
    with _client(fakes, key_cache_seconds=3600) as client:
        key = fakes.keys.issue("customer", "C00001")
        assert client.get("/v1/me", headers={"X-API-Key": key}).status_code == 200
        key_id = key.split("_")[1]
        guesses = [
            client.get("/v1/me", headers={"X-API-Key": f"kcall_{key_id}_guess{i}"}).status_code
            for i in range(12)
        ]
        owner = client.get("/v1/me", headers={"X-API-Key": key})
    assert guesses == [401] * 12
    assert owner.status_code == 200  # the verified key is served from the cache


def test_the_failure_budget_refuses_even_the_right_secret_until_it_refills() -> None:
    now = [0.0]
    resolver = KeyResolver({}, cache_s=0, clock=lambda: now[0], max_failures_per_minute=2)
    store = FakeKeyStore()
    key = store.issue("viewer", "wall")
    key_id = key.split("_")[1]
    assert resolver.resolve(key, store) is not None
    assert resolver.resolve(f"kcall_{key_id}_x", store) is None
    assert resolver.resolve(f"kcall_{key_id}_y", store) is None
    assert resolver.resolve(key, store) is None  # budget spent: no verification at all
    now[0] += 61.0
    assert resolver.resolve(key, store) is not None


def test_a_customer_reads_its_own_chat_session_only() -> None:
    fakes = _fakes()
    with _client(fakes) as client:
        client.post("/v1/chat/s-5/messages", json={"text": "요금 알려 주세요"}, headers=CUSTOMER_1)
        mine = client.get("/v1/chat/s-5", headers=CUSTOMER_1)
        theirs = client.get("/v1/chat/s-5", headers=CUSTOMER_2)
        unknown = client.get("/v1/chat/s-404", headers=CUSTOMER_1)
        staff = client.get("/v1/chat/s-5", headers=READER)
    assert mine.status_code == 200 and mine.json()["turns"] == 1
    assert theirs.status_code == unknown.status_code == 404
    assert staff.status_code == 403
