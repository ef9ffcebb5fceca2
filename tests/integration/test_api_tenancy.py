"""Tenancy on a migrated database: keys made with `kcall keys`, rows of two customers.

The API runs on the real read model, key store and access log (SQLite, and PostgreSQL
when KCALL_TEST_DATABASE_URL is set); only the broker is a fake, since nothing here
publishes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from services.api import ApiBackends, create_app
from services.api.call_registry import SqlCallRegistry
from services.api.commands import SqlApiCommands
from services.api.read_model import SqlCallReadModel
from services.cli.main import app as cli
from services.config import ApiSettings, Settings, get_settings
from services.db import seed_world
from services.db.models import AccessLogRow, ApiKeyRow
from services.db.repositories import record_call_started
from services.db.repositories.api_access import SqlAccessLog, SqlApiKeyStore
from services.schemas import CallStarted
from tests.fixtures.api import FakePublisher
from tests.fixtures.database import small_billing_world

pytestmark = pytest.mark.integration

T0 = datetime(2025, 6, 20, 1, 0, tzinfo=UTC)


@pytest.fixture
def sessions(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    seed_world(session_factory.kw["bind"], small_billing_world())
    with session_factory.begin() as session:
        for call_id, customer_id in (("t-call-1", "C-0001"), ("t-call-2", "C-0002")):
            record_call_started(
                session,
                event=CallStarted(call_id=call_id, customer_id=customer_id, occurred_at=T0),
            )
    return session_factory


@pytest.fixture
def client(sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    @contextmanager
    def backends(_: Settings) -> Iterator[ApiBackends]:
        yield ApiBackends(
            publisher=FakePublisher(),
            read_model=SqlCallReadModel(sessions),
            commands=SqlApiCommands(sessions),
            calls=SqlCallRegistry(sessions),
            keys=SqlApiKeyStore(sessions),
            access_log=SqlAccessLog(sessions),
        )

    settings = Settings().model_copy(update={"api": ApiSettings(api_keys={}, key_cache_seconds=0)})
    with TestClient(create_app(settings, backends=backends)) as test_client:
        yield test_client


def _kcall(monkeypatch: pytest.MonkeyPatch, db_url: str, *args: str) -> str:
    monkeypatch.setenv("KCALL_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, list(args))
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output


def _new_key(monkeypatch: pytest.MonkeyPatch, db_url: str, role: str, subject: str) -> str:
    output = _kcall(monkeypatch, db_url, "keys", "create", "--role", role, "--subject", subject)
    return output.strip().splitlines()[-1]


def test_keys_from_the_cli_bind_customers_and_supervisors(
    client: TestClient,
    sessions: sessionmaker[Session],
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = _new_key(monkeypatch, db_url, "customer", "C-0001")
    second = _new_key(monkeypatch, db_url, "customer", "C-0002")
    viewer = _new_key(monkeypatch, db_url, "viewer", "wallboard")

    def get(path: str, key: str) -> int:
        return client.get(path, headers={"X-API-Key": key}).status_code

    assert get("/v1/calls/t-call-1", first) == 200
    assert get("/v1/calls/t-call-2", first) == 404
    assert get("/v1/customers/C-0002", first) == 404
    assert get("/v1/calls/t-call-2", second) == 200
    assert get("/v1/customers/C-0001", viewer) == 200
    mine = client.get("/v1/calls", headers={"X-API-Key": first}).json()
    assert {c["call_id"] for c in mine} == {"t-call-1"}
    me = client.get("/v1/me", headers={"X-API-Key": second}).json()
    assert me["customer"]["customer_id"] == "C-0002"
    assert me["invoices"], "the customer's own bills"

    with sessions() as session:
        rows = list(session.scalars(select(ApiKeyRow)))
        log = list(session.scalars(select(AccessLogRow).order_by(AccessLogRow.id)))
    assert len(rows) == 3
    assert all(r.secret_hash.startswith("$argon2id$") for r in rows)
    assert not any(key.split("_", 2)[2] in r.secret_hash for r in rows for key in (first, second))
    reads = [(e.role, e.subject, e.resource, e.resource_id, e.customer_id) for e in log]
    assert ("customer", "C-0001", "call", "t-call-1", "C-0001") in reads
    assert ("viewer", "wallboard", "customer", "C-0001", "C-0001") in reads
    assert not any(r[1] == "C-0001" and r[4] == "C-0002" for r in reads)  # refused: not read
    assert all(e.at.tzinfo is not None for e in log)

    listing = _kcall(monkeypatch, db_url, "keys", "list")
    assert "C-0001" in listing and first not in listing
    key_id = first.split("_")[1]
    _kcall(monkeypatch, db_url, "keys", "revoke", key_id)
    assert get("/v1/me", first) == 401  # revoked while the API runs (cache off here)
    assert get("/v1/me", second) == 200
    assert key_id not in _kcall(monkeypatch, db_url, "keys", "list")
    assert key_id in _kcall(monkeypatch, db_url, "keys", "list", "--all")
