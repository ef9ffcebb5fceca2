"""API keys and scopes, the per-key rate limit, the body-size limit and error bodies."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from services.api.security import TokenBucket
from tests.fixtures.api import fake_app

UTTERANCE = {"seq": 0, "speaker": "customer", "text": "요금이 이상해요"}


def _client(**api_overrides: object) -> TestClient:
    app, _ = fake_app(**api_overrides)
    return TestClient(app)


def test_missing_or_unknown_key_is_401() -> None:
    with _client() as client:
        missing = client.get("/v1/calls")
        unknown = client.get("/v1/calls", headers={"X-API-Key": "nope"})
    assert missing.status_code == 401
    assert missing.json()["error"] == "unauthorized"
    assert unknown.status_code == 401


def test_key_without_the_scope_is_403() -> None:
    with _client() as client:
        response = client.post(
            "/v1/calls/c-1/utterances", json=UTTERANCE, headers={"X-API-Key": "reader-key"}
        )
    assert response.status_code == 403
    assert "calls:write" in response.json()["detail"]


def test_bearer_and_x_api_key_are_both_accepted() -> None:
    with _client() as client:
        bearer = client.get("/v1/calls", headers={"Authorization": "Bearer reader-key"})
        header = client.get("/v1/calls", headers={"X-API-Key": "reader-key"})
    assert bearer.status_code == header.status_code == 200


def test_auth_is_checked_before_the_body() -> None:
    with _client() as client:
        response = client.post("/v1/calls/c-1/utterances", json={"seq": -1})
    assert response.status_code == 401


def test_rate_limit_answers_429_with_retry_after() -> None:
    with _client(rate_limit_per_minute=3) as client:
        codes = [
            client.get("/v1/calls", headers={"X-API-Key": "reader-key"}).status_code
            for _ in range(4)
        ]
        limited = client.get("/v1/calls", headers={"X-API-Key": "reader-key"})
        other_key = client.get("/v1/calls", headers={"X-API-Key": "all-key"})
    assert codes == [200, 200, 200, 429]
    assert limited.json()["error"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    assert other_key.status_code == 200  # buckets are per key


def test_token_bucket_refills_with_time() -> None:
    now = [0.0]
    bucket = TokenBucket(per_minute=60, clock=lambda: now[0])
    assert all(bucket.take("k") for _ in range(60))
    assert not bucket.take("k")
    now[0] += 1.0  # 60 per minute = one per second
    assert bucket.take("k")
    assert not bucket.take("k")


def test_declared_body_over_the_limit_is_413() -> None:
    big = {"seq": 0, "speaker": "customer", "text": "가" * 2000}
    with _client(max_body_bytes=1024) as client:
        response = client.post(
            "/v1/calls/c-1/utterances", json=big, headers={"X-API-Key": "writer-key"}
        )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_chunked_body_over_the_limit_is_413_before_the_app_sees_it() -> None:
    app, fakes = fake_app(max_body_bytes=1024)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(8):
            yield b"\x00" * 512

    with TestClient(app) as client:
        response = client.post(
            "/v1/calls/c-1/audio?channel=customer&seq=0",
            content=chunks(),
            headers={"X-API-Key": "writer-key", "Content-Type": "application/octet-stream"},
        )
    assert response.status_code == 413
    assert fakes.publisher.sent == []


def test_validation_errors_name_the_field_and_the_reason() -> None:
    with _client() as client:
        response = client.post(
            "/v1/calls/c-1/utterances",
            json={"seq": -1, "speaker": "robot", "text": ""},
            headers={"X-API-Key": "writer-key"},
        )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    problems = {p["field"]: p["reason"] for p in body["detail"]}
    assert set(problems) == {"body.seq", "body.speaker", "body.text"}
    assert "greater than or equal to 0" in problems["body.seq"]


def test_unknown_field_and_bad_call_id_are_422() -> None:
    with _client() as client:
        extra = client.post(
            "/v1/calls",
            json={"customer_id": "C00001", "vip": True},
            headers={"X-API-Key": "writer-key"},
        )
        bad_id = client.get("/v1/calls/bad%20id", headers={"X-API-Key": "reader-key"})
    assert extra.status_code == 422
    assert extra.json()["detail"][0]["field"] == "body.vip"
    assert bad_id.status_code == 422
    assert bad_id.json()["detail"][0]["field"] == "path.call_id"


def test_unknown_route_uses_the_same_error_shape() -> None:
    with _client() as client:
        response = client.get("/v1/nothing-here")
        wrong_method = client.delete("/v1/calls")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"] == "method_not_allowed"


def test_cors_is_off_by_default() -> None:
    with _client() as client:
        preflight = client.options(
            "/v1/calls",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        simple = client.get(
            "/v1/calls", headers={"Origin": "https://evil.example", "X-API-Key": "reader-key"}
        )
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in simple.headers
    assert preflight.status_code == 405
