"""Pure parts of the database layer: column types, ids, URL conversion, SQL generation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from services.db import libpq_conninfo
from services.db._sql import column_values, derived_id
from services.db.models import Base, UtcDateTime
from services.schemas import Speaker, Utterance

KST = timezone(timedelta(hours=9))


def test_utc_datetime_normalises_to_utc_and_strips_zone_for_sqlite() -> None:
    column = UtcDateTime()
    kst = datetime(2025, 6, 1, 9, 0, tzinfo=KST)
    assert column.process_bind_param(kst, sqlite.dialect()) == datetime(2025, 6, 1, 0, 0)
    assert column.process_bind_param(kst, postgresql.dialect()) == datetime(
        2025, 6, 1, 0, 0, tzinfo=UTC
    )


def test_utc_datetime_rejects_naive_and_restores_zone_on_read() -> None:
    column = UtcDateTime()
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(datetime(2025, 6, 1), sqlite.dialect())
    loaded = column.process_result_value(datetime(2025, 6, 1, 0, 0), sqlite.dialect())
    assert loaded == datetime(2025, 6, 1, 0, 0, tzinfo=UTC)
    assert column.process_result_value(None, sqlite.dialect()) is None


def test_derived_id_is_stable_and_key_specific() -> None:
    assert derived_id("cr", "call-1:dup:INV-1") == derived_id("cr", "call-1:dup:INV-1")
    assert derived_id("cr", "call-1:dup:INV-1") != derived_id("cr", "call-1:dup:INV-2")
    assert derived_id("apr", "k").startswith("apr-")


def test_column_values_binds_enum_members_as_plain_values() -> None:
    utterance = Utterance(
        call_id="c1",
        seq=0,
        speaker=Speaker.AGENT,
        text="안녕하세요",
        start_ms=0,
        end_ms=900,
        confidence=0.9,
    )
    values = column_values(utterance, include={"speaker", "text"})
    assert values == {"speaker": "agent", "text": "안녕하세요"}
    assert type(values["speaker"]) is str


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql+psycopg://postgres@127.0.0.1:5432/test",
            {"host=127.0.0.1", "port=5432", "dbname=test", "user=postgres"},
        ),
        (
            "postgresql://u:p%40ss@db.internal/kcall?sslmode=require&options=-csearch_path%3Dx",
            {
                "host=db.internal",
                "dbname=kcall",
                "user=u",
                "password=p@ss",
                "sslmode=require",
                "options=-csearch_path=x",
            },
        ),
    ],
)
def test_libpq_conninfo_from_sqlalchemy_url(url: str, expected: set[str]) -> None:
    assert set(libpq_conninfo(url).split()) == expected


def test_every_constraint_and_index_is_named_by_the_convention() -> None:
    for table in Base.metadata.sorted_tables:
        for constraint in table.constraints:
            assert constraint.name, f"unnamed constraint on {table.name}"
        for index in table.indexes:
            assert index.name and index.name.startswith("ix_"), index
    unique = {c.name for c in Base.metadata.tables["credit_ledger"].constraints}
    assert "uq_credit_ledger_idempotency_key" in unique
    unique = {c.name for c in Base.metadata.tables["utterances"].constraints}
    assert "uq_utterances_call_id_seq" in unique
