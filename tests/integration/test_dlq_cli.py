"""`kcall dlq list|show|replay|purge` against a real (tansu) broker, fed by the real runner.

Poison of four kinds goes through `run_stage` (undecodable bytes with a phone number, an
utterance the handler refuses, an unknown schema_version, an audio frame whose header is
`12`) and one large audio chunk goes through the producer, then the CLI lists, filters,
shows, replays and purges them. No raw phone number may appear in a DLQ or in the output.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Sequence

import pytest
from typer.testing import CliRunner

from pipelines.dlq import DLQ_HEADER_PREFIX, dlq_topics, read_letters
from pipelines.stage import Incoming, Outgoing, PoisonMessage
from services.broker import Publisher
from services.cli.main import app
from services.config import Settings
from services.schemas import AudioChunk, Topic, Utterance, decode, encode
from services.schemas.limits import MAX_AUDIO_PCM_BYTES
from tests.fixtures.broker import StageThread, read_topic, unique_name

pytestmark = pytest.mark.integration

PHONE = "010-9876-5432"


class _Refuser:
    """Refuses utterances that say "poison"; everything else passes."""

    name = "dlqtest"
    sources: tuple[Topic, ...] = (Topic.TRANSCRIPTS, Topic.AUDIO)

    def __init__(self) -> None:
        self.handled = 0

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        self.handled += 1
        message = incoming.message
        if isinstance(message, Utterance) and "poison" in message.text:
            raise PoisonMessage(f"refused utterance {message.seq}")
        return []

    def tick(self, now: float) -> Sequence[Outgoing]:
        return []

    def safe_offset(self, partition: int) -> int | None:
        return None

    def revoke(self, partitions: Collection[int]) -> None:
        return None


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, ["dlq", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert PHONE not in result.output
    return result.output


def _json_lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_dlq_list_show_replay_purge(
    private_kafka_bootstrap: str, kafka_test_settings: Settings
) -> None:
    bootstrap, settings = private_kafka_bootstrap, kafka_test_settings
    call_id = unique_name("call")
    key = call_id.encode()
    poison = Utterance(call_id=call_id, seq=1, speaker="customer", confidence=0.9, start_ms=0,
                       end_ms=10, text=f"poison, call me at {PHONE}")  # fmt: skip
    good = poison.model_copy(update={"seq": 0, "text": "요금 문의"})
    future = json.loads(encode(good)) | {"schema_version": 999, "seq": 2}
    big = AudioChunk(call_id=call_id, seq=0, channel="customer", sample_rate=16000,
                     pcm=bytes(MAX_AUDIO_PCM_BYTES))  # fmt: skip
    with Publisher(bootstrap, settings.kafka) as publisher:
        publisher.send(Topic.TRANSCRIPTS, good)
        publisher.send_raw(Topic.TRANSCRIPTS.value, key=key, value=f"\xff{PHONE}".encode())
        publisher.send(Topic.TRANSCRIPTS, poison)
        publisher.send_raw(Topic.TRANSCRIPTS.value, key=key, value=json.dumps(future).encode())
        publisher.send_raw(Topic.AUDIO.value, key=key, value=b"KCA1\x00\x00\x00\x0212\x00\x00")
        publisher.send(Topic.AUDIO, big)  # the largest chunk goes through the producer whole
        publisher.flush()

    handler = _Refuser()
    with StageThread(handler, bootstrap=bootstrap, settings=settings) as stage:
        deadline = time.monotonic() + 60
        while len(read_letters(settings.kafka, bootstrap, dlq_topics())) < 4:
            assert time.monotonic() < deadline, "dead letters did not arrive"
            time.sleep(0.2)
        stats = stage.stop()
    assert (stats.consumed, stats.dlq) == (6, 4)
    assert handler.handled == 3  # good, poison (refused), big audio chunk

    # The DLQ itself holds no raw phone number.
    for topic in dlq_topics():
        for record in read_topic(bootstrap, topic, settle_s=0.1):
            assert PHONE.encode() not in (record.value or b"")
            assert b"\x00\x00" * 100 not in (record.value or b"")  # no PCM either

    out = _json_lines(_cli("list", "--json", "--bootstrap", bootstrap))
    assert len(out) == 4
    by_class = {str(row["error_class"]).rsplit(".", 1)[-1]: row for row in out}
    assert set(by_class) == {"DecodeError", "PoisonMessage", "UnknownSchemaVersion"}
    assert sum(str(r["error_class"]).endswith(".DecodeError") for r in out) == 2
    assert by_class["PoisonMessage"]["stage"] == "dlqtest"
    assert by_class["PoisonMessage"]["attempts"] == 1
    assert by_class["PoisonMessage"]["source_topic"] == Topic.TRANSCRIPTS.value
    assert by_class["PoisonMessage"]["payload"] == "redacted"
    assert "999" in str(by_class["UnknownSchemaVersion"]["error_message"])

    def count(*filters: str) -> int:
        return len(_json_lines(_cli("list", "--json", "--bootstrap", bootstrap, *filters)))

    assert count("--topic", Topic.AUDIO.value) == 1
    assert count("--topic", Topic.TRANSCRIPTS.dlq) == 3
    assert count("--error", "schema_version") == 1
    assert count("--error", "not an object") == 1
    assert count("--since", "1h") == 4
    assert count("--until", "2000-01-01T00:00:00") == 0
    assert "4 dead letter(s)" in _cli("list", "--bootstrap", bootstrap)

    shown = json.loads(
        _cli("show", str(by_class["PoisonMessage"]["ref"]), "--bootstrap", bootstrap)
    )
    assert shown["payload_text"]["text"] == "poison, call me at [전화번호]"
    assert shown["source_offset"] == 2

    replayed = _cli("replay", "--topic", Topic.TRANSCRIPTS.value, "--bootstrap", bootstrap)
    assert "1 replayed, 2 kept" in replayed
    back = [r for r in read_topic(bootstrap, Topic.TRANSCRIPTS.value, min_records=5)
            if (DLQ_HEADER_PREFIX + "replayed-from") in dict(r.headers)]  # fmt: skip
    assert len(back) == 1
    message = decode(Topic.TRANSCRIPTS, back[0].value)
    assert isinstance(message, Utterance) and message.text == "poison, call me at [전화번호]"
    assert back[0].key == key

    assert "0 dead letter(s) purged" in _cli(
        "purge", "--until", "2000-01-01T00:00:00", "--yes", "--bootstrap", bootstrap
    )
    assert count() == 4
    purged = _cli("purge", "--topic", Topic.TRANSCRIPTS.value, "--yes", "--bootstrap", bootstrap)
    assert "3 dead letter(s) purged" in purged
    assert [row["source_topic"] for row in _json_lines(
        _cli("list", "--json", "--bootstrap", bootstrap))] == [Topic.AUDIO.value]  # fmt: skip
    assert "1 dead letter(s) purged" in _cli("purge", "--yes", "--bootstrap", bootstrap)
    assert count() == 0
    assert "0 replayed, 0 kept" in _cli("replay", "--bootstrap", bootstrap)
