"""Schemathesis over every operation of the OpenAPI document: no input gets a 5xx.

The app is the real one on the in-memory fakes (tests.fixtures.api), so the fuzz reaches
the routers, validation, auth, tenancy and error mapping; generation is derandomized, so
a run repeats exactly.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from services.api import create_app
from services.api.backends import ApiBackends
from tests.fixtures.api import FakeBackends, FakeChat, FakeCommands, api_settings

_fakes = FakeBackends(chat=FakeChat())
_fakes.read_model.customers["C00001"] = {"customer": {"customer_id": "C00001"}}
_fakes.read_model.approvals["apr-1"] = {
    "approval_id": "apr-1",
    "call_id": "call-0001",
    "customer_id": "C00001",
    "amount_krw": 45000,
    "status": "pending",
    "decided_by": None,
}
_app = create_app(
    api_settings(rate_limit_per_minute=1_000_000, rate_limit_per_address_per_minute=1_000_000),
    backends=_fakes.factory(),
)
# The fuzzer's client does not run the lifespan; hand the app its backends directly.
_app.state.backends = ApiBackends(
    publisher=_fakes.publisher,
    read_model=_fakes.read_model,
    commands=FakeCommands(_fakes.read_model),
    calls=_fakes.calls,
    chat=_fakes.chat,
    keys=_fakes.keys,
    access_log=_fakes.access_log,
)

schema = schemathesis.openapi.from_asgi("/openapi.json", _app)

OPERATIONS = {(op.method.upper(), op.path) for op in (r.ok() for r in schema.get_all_operations())}


def test_the_fuzz_covers_every_operation() -> None:
    documented = {
        (method.upper(), path)
        for path, methods in _app.openapi()["paths"].items()
        for method in methods
    }
    assert documented == OPERATIONS
    assert len(OPERATIONS) >= 15


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_5xx(case: schemathesis.Case) -> None:
    customer_route = case.path.startswith(("/v1/chat", "/v1/me"))
    key = "chat-key" if customer_route else "all-key"
    headers = {**(case.headers or {}), "X-API-Key": key}
    headers.pop("authorization", None)
    headers.pop("Authorization", None)
    if case.path == "/v1/dashboard/stream":
        # Any valid pacing is fine, but a fuzzed hour-long stream is not a unit test.
        case.query = {**(case.query or {}), "max_events": 1}
    response = case.call(headers=headers)
    assert response.status_code < 500, (case.method, case.path, response.text[:300])
    if response.status_code >= 400:
        body = response.json()
        assert body["error"] and body["detail"], "every 4xx says why"
