"""`kcall db upgrade` and `kcall db seed` on real SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from services.cli.main import app
from services.config import get_settings
from services.db import make_engine
from services.db.migrate import head_revision
from services.db.models import Customer

pytestmark = pytest.mark.integration

runner = CliRunner()


@pytest.fixture
def configured(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("KCALL_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def test_upgrade_then_seed_twice(configured: str) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"revision {head_revision()}" in result.output  # the newest migration

    args = ["db", "seed", "--seed", "3", "--customers", "4", "--today", "2025-06-15"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "customers +4" in first.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert all(part.endswith("+0") for part in again.output.strip().split(", ")), again.output

    engine = make_engine(configured)
    try:
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Customer)) == 4
    finally:
        engine.dispose()
