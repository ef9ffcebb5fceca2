"""Transcripts are stored redacted: PII planted in an utterance is in no table, checkpoint or DLQ.

The real path: the API takes the utterance (its entry redacts) onto the real broker; the
transcripts read back go through the real agent stage (real database and checkpointer) and
the real sink. A second call's utterance skips the entry (a producer writing the topic
directly) and goes to the agent stage alone: the graph's first node redacts again, so its
checkpoints hold no PII either. A poison message carrying the PII becomes a dead letter.
Then every row of every table (the checkpointer's blobs and writes included) is searched.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, select
from sqlalchemy.orm import Session, sessionmaker

from agents.intents import IntentClassifier
from pipelines.bootstrap import build_agent_runtime
from pipelines.dlq import build_dead_letter
from pipelines.sink import SinkHandler
from pipelines.stage import Incoming, PoisonMessage
from services.api import create_app
from services.config import ApiSettings, DatabaseSettings, LlmSettings, PathSettings, Settings
from services.db import seed_world
from services.schemas import CallEnded, CallStarted, Message, Topic, Utterance, decode, encode
from tests.fixtures.api import KEYS
from tests.fixtures.broker import fast_kafka_settings, read_topic
from tests.fixtures.database import small_billing_world

pytestmark = pytest.mark.integration

WRITER = {"X-API-Key": "writer-key"}
PII = {
    "phone": "010-2468-1357",
    "resident number": "900101-1234568",
    "card": "4111-1111-1111-1111",
    "email": "minjun.kim@example.com",
}
TEXT = (
    f"제 번호는 {PII['phone']}이고 주민번호는 {PII['resident number']}예요. "
    f"카드 {PII['card']}로 결제했는데 요금이 두 번 나왔어요. 메일은 {PII['email']}입니다."
)


@pytest.fixture
def settings(kafka_bootstrap: str, db_url: str, tmp_path: Path) -> Settings:
    return Settings().model_copy(update={
        "kafka": fast_kafka_settings(bootstrap=kafka_bootstrap),
        "database": DatabaseSettings(url=db_url),
        "api": ApiSettings(api_keys=KEYS),
        "llm": LlmSettings(enabled=False),
        "paths": PathSettings(data=tmp_path),
    })  # fmt: skip


@pytest.fixture
def client(settings: Settings, migrated_engine: Engine) -> Iterator[TestClient]:
    seed_world(migrated_engine, small_billing_world())
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _transcripts(bootstrap: str, call_id: str, count: int) -> list[Message]:
    """The call's messages on the transcripts topic, polled with a generous deadline."""
    deadline = time.monotonic() + 60
    while True:
        records = [r for r in read_topic(bootstrap, str(Topic.TRANSCRIPTS), min_records=1)
                   if r.key == call_id.encode()]  # fmt: skip
        if len(records) >= count:
            break
        assert time.monotonic() < deadline, f"{len(records)} of {count} transcripts arrived"
    return [decode(Topic.TRANSCRIPTS, r.value) for r in sorted(records, key=lambda r: r.offset)]


def _holds_pii(value: Any) -> list[str]:
    """The kinds of planted PII found in `value` (text, bytes of any encoding, JSON)."""
    if value is None:
        return []
    if isinstance(value, bytes | bytearray | memoryview):
        blob = bytes(value)
        return [kind for kind, raw in PII.items()
                if raw.encode() in blob or raw.encode("utf-16-le") in blob]  # fmt: skip
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return [kind for kind, raw in PII.items() if raw in text]


def _rows_with_pii(engine: Engine) -> list[tuple[str, list[str]]]:
    metadata = MetaData()
    metadata.reflect(engine)
    found: list[tuple[str, list[str]]] = []
    with engine.connect() as connection:
        for name, table in metadata.tables.items():
            for row in connection.execute(select(table)):
                kinds = sorted({kind for value in row for kind in _holds_pii(value)})
                if kinds:
                    found.append((name, kinds))
    return found


def test_planted_pii_is_in_no_table_no_checkpoint_and_no_dead_letter(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session],
    migrated_engine: Engine, intent_model: IntentClassifier, kafka_bootstrap: str,
) -> None:
    call_id = f"pii-{uuid.uuid4().hex[:12]}"
    answers = [
        client.post("/v1/calls", json={"call_id": call_id, "customer_id": "C-0001"},
                    headers=WRITER),
        client.post(f"/v1/calls/{call_id}/utterances",
                    json={"seq": 0, "speaker": "customer", "text": TEXT, "end_ms": 4000},
                    headers=WRITER),
        client.post(f"/v1/calls/{call_id}/end", json={"utterances": 1}, headers=WRITER),
    ]  # fmt: skip
    assert [a.status_code for a in answers] == [202, 202, 202]
    transcripts = _transcripts(kafka_bootstrap, call_id, 3)

    # A producer that skips the entry: raw text straight to the agent stage.
    raw_call = f"raw-{uuid.uuid4().hex[:12]}"
    raw = [CallStarted(call_id=raw_call, customer_id="C-0001"),
           Utterance(call_id=raw_call, seq=0, speaker="customer", text=TEXT, start_ms=0,
                     end_ms=4000, confidence=0.9, source="asr"),
           CallEnded(call_id=raw_call, utterances=1)]  # fmt: skip

    outputs: list[Message] = []
    with build_agent_runtime(settings, llm_base_url=None, intents=intent_model) as runtime:
        handler = runtime.handler()
        for offset, message in enumerate([*transcripts, *raw]):
            outputs += [o.message for o in handler.handle(Incoming(message, 0, offset))]
        outputs += [o.message for o in handler.tick(time.monotonic())]  # flushes checkpoints
    assert any(m.call_id == call_id for m in outputs), "the agent stage emitted nothing"

    sink = SinkHandler(session_factory)
    for offset, message in enumerate([*transcripts, *outputs]):
        if message.call_id == call_id:
            sink.handle(Incoming(message, 0, offset))
    assert sink.stats.applied >= 3

    assert _rows_with_pii(migrated_engine) == []
    metadata = MetaData()
    metadata.reflect(migrated_engine)
    with migrated_engine.connect() as connection:
        stored = list(connection.scalars(select(metadata.tables["utterances"].c.text)))
        threads = set(connection.scalars(select(metadata.tables["checkpoints"].c.thread_id)))
    assert stored and all("[전화번호]" in text for text in stored)  # something was stored
    assert {call_id, raw_call} <= threads  # and checkpointed

    poison = encode(raw[1])
    letter = build_dead_letter(stage="sink", topic=str(Topic.TRANSCRIPTS), partition=0, offset=9,
                               key=raw_call.encode(), value=poison, headers=[],
                               error=PoisonMessage(f"refused: {TEXT}"), attempts=1)  # fmt: skip
    assert sorted(_holds_pii(poison)) == sorted(PII)  # the poison carries every kind
    assert _holds_pii(letter.value) == []
    assert [kind for _, value in letter.headers for kind in _holds_pii(value)] == []
