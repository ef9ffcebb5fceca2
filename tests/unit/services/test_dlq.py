"""Dead letters hold the redacted payload and the failure; filters, times and replay logic."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import typer

from pipelines.dlq import (
    DLQ_HEADER_PREFIX,
    LetterFilter,
    StoredLetter,
    build_dead_letter,
    dlq_topics,
    replay,
)
from pipelines.stage import PoisonMessage
from services.cli.dlq_commands import parse_time
from services.schemas import AudioChunk, DecodeError, Topic, Utterance, encode

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
PHONE = "010-1234-5678"


def _utterance(text: str, seq: int = 0) -> Utterance:
    return Utterance(call_id="c1", seq=seq, speaker="customer", text=text, start_ms=0,
                     end_ms=10, confidence=0.9, occurred_at=NOW)  # fmt: skip


def _letter(topic: str, value: bytes | None, error: Exception | None = None, **kw: object):  # type: ignore[no-untyped-def]
    return build_dead_letter(
        stage="agent", topic=topic, partition=1, offset=7, key=b"c1", value=value,
        headers=kw.pop("headers", []), error=error or DecodeError("bad"), attempts=0,  # type: ignore[arg-type]
        now=NOW,
    )  # fmt: skip


def _headers(letter) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {name: data.decode() for name, data in letter.headers}


def _stored(letter, offset: int = 0) -> StoredLetter:  # type: ignore[no-untyped-def]
    return StoredLetter(dlq_topic=letter.topic, partition=0, offset=offset, timestamp=NOW,
                        key=letter.key, value=letter.value, headers=letter.headers)  # fmt: skip


def test_pii_in_a_json_message_is_redacted_in_the_dead_letter() -> None:
    raw = encode(_utterance(f"제 번호는 {PHONE} 입니다"))  # produced straight to Kafka, unredacted
    letter = _letter(Topic.TRANSCRIPTS.value, raw)
    assert PHONE.encode() not in letter.value
    assert json.loads(letter.value)["text"] == "제 번호는 [전화번호] 입니다"
    headers = _headers(letter)
    assert headers[DLQ_HEADER_PREFIX + "payload"] == "redacted"
    assert headers[DLQ_HEADER_PREFIX + "payload.bytes"] == str(len(raw))
    assert headers[DLQ_HEADER_PREFIX + "time"] == NOW.isoformat()
    assert letter.topic == Topic.TRANSCRIPTS.dlq


def test_a_message_without_pii_stays_byte_identical() -> None:
    raw = encode(_utterance("요금이 두 번 나갔어요"))
    letter = _letter(Topic.TRANSCRIPTS.value, raw)
    assert letter.value == raw
    assert _headers(letter)[DLQ_HEADER_PREFIX + "payload"] == "original"


def test_audio_keeps_only_the_header_never_the_pcm() -> None:
    pcm = bytes(range(256)) * 40
    chunk = AudioChunk(call_id="c1", seq=3, channel="customer", sample_rate=8000, pcm=pcm)
    letter = _letter(Topic.AUDIO.value, encode(chunk))
    document = json.loads(letter.value)
    assert document["audio_header"]["seq"] == 3 and document["pcm_bytes"] == len(pcm)
    assert pcm[:64] not in letter.value
    assert _headers(letter)[DLQ_HEADER_PREFIX + "payload"] == "audio-header"
    broken = _letter(Topic.AUDIO.value, b"KCA1\x00\x00\x00\x0212" + pcm)
    assert json.loads(broken.value)["audio_header"] is None


def test_garbage_is_redacted_as_text_keeping_its_other_bytes() -> None:
    raw = b"\xff\xfe call me " + PHONE.encode() + b" \x00"
    letter = _letter(Topic.TRANSCRIPTS.value, raw)
    assert (
        letter.value == b"\xff\xfe call me [\xec\xa0\x84\xed\x99\x94\xeb\xb2\x88\xed\x98\xb8] \x00"
    )
    big = _letter(Topic.INSIGHTS.value, b"x" * 200_000)
    assert len(big.value) == 16 * 1024
    assert _headers(big)[DLQ_HEADER_PREFIX + "payload"] == "truncated"


def test_huge_poison_is_bounded_before_redaction() -> None:
    # Redaction time grows faster than the text: 1 MB of Korean would take over a minute.
    text = ("요금이 두 번 나갔어요 " + PHONE + " ") * 40_000
    started = time.perf_counter()
    one_string = json.dumps({"text": text}, ensure_ascii=False).encode()
    many = json.dumps([text[i : i + 4000] for i in range(0, len(text), 4000)]).encode()
    not_json = text.encode()
    letters = [_letter(Topic.TRANSCRIPTS.value, value) for value in (one_string, many, not_json)]
    assert time.perf_counter() - started < 30  # about 2 s here; generous for a loaded CI
    for letter in letters:
        assert letter.value is not None and PHONE.encode() not in letter.value
        assert _headers(letter)[DLQ_HEADER_PREFIX + "payload"] == "truncated"
    assert len(letters[0].value or b"") < 30_000
    assert len(json.loads(letters[1].value or b"")) == -(-len(text) // 4000)
    assert len(letters[2].value or b"") < 20_000  # 16 KiB, placeholders a little longer


def test_error_message_key_and_headers_are_redacted_too() -> None:
    error = PoisonMessage(f"customer {PHONE} unknown")
    letter = _letter(Topic.TRANSCRIPTS.value, b"{}", error, headers=[("note", PHONE.encode())])
    headers = _headers(letter)
    assert PHONE not in headers[DLQ_HEADER_PREFIX + "error.message"]
    assert headers["note"] == "[전화번호]"
    assert headers[DLQ_HEADER_PREFIX + "error.class"] == "pipelines.stage.PoisonMessage"


def test_tombstones_keep_no_value() -> None:
    letter = _letter(Topic.SUMMARIES.value, None)
    assert letter.value is None
    assert _headers(letter)[DLQ_HEADER_PREFIX + "payload"] == "empty"


def test_stored_letter_reads_its_headers_and_filters() -> None:
    stored = _stored(_letter(Topic.TRANSCRIPTS.value, b"{}", PoisonMessage("seq gap too big")))
    summary = stored.summary()
    assert summary["source_topic"] == Topic.TRANSCRIPTS.value
    assert (summary["source_partition"], summary["source_offset"]) == (1, 7)
    assert summary["stage"] == "agent" and summary["attempts"] == 0
    assert stored.ref == f"{Topic.TRANSCRIPTS.dlq}:0:0"
    assert stored.failed_at == NOW
    assert LetterFilter().matches(stored)
    assert LetterFilter(topic=Topic.TRANSCRIPTS.value).matches(stored)
    assert LetterFilter(topic=Topic.TRANSCRIPTS.dlq).matches(stored)
    assert not LetterFilter(topic=Topic.AUDIO.value).matches(stored)
    assert LetterFilter(error="GAP").matches(stored)
    assert LetterFilter(error="poisonmessage").matches(stored)
    assert not LetterFilter(error="schema_version").matches(stored)
    assert LetterFilter(since=NOW, until=NOW).matches(stored)
    assert not LetterFilter(since=NOW + timedelta(seconds=1)).matches(stored)
    assert not LetterFilter(until=NOW - timedelta(seconds=1)).matches(stored)


def test_dlq_topic_names() -> None:
    assert dlq_topics(Topic.AUDIO.value) == [Topic.AUDIO.dlq]
    assert dlq_topics(Topic.AUDIO.dlq) == [Topic.AUDIO.dlq]
    assert set(dlq_topics()) == {t.dlq for t in Topic}


def test_times_are_iso_or_ages() -> None:
    assert parse_time("2025-03-14T09:30:00") == NOW
    assert parse_time("2025-03-14T18:30:00+09:00") == NOW
    assert parse_time("2h", now=NOW) == NOW - timedelta(hours=2)
    assert parse_time("15m", now=NOW) == NOW - timedelta(minutes=15)
    assert parse_time("7d", now=NOW) == NOW - timedelta(days=7)
    assert parse_time(None) is None
    with pytest.raises(typer.BadParameter):
        parse_time("yesterday")


class _Publisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, list[tuple[str, bytes]]]] = []
        self.flushes = 0

    def send_raw(self, topic: str, *, key: bytes | None, value: bytes | None,
                 headers: list[tuple[str, bytes]]) -> None:  # fmt: skip
        self.sent.append((topic, key, value, list(headers)))

    def flush(self) -> None:
        self.flushes += 1


def test_replay_republishes_only_what_decodes_now() -> None:
    good = _stored(_letter(Topic.TRANSCRIPTS.value, encode(_utterance("안녕하세요"))), 0)
    pii = _stored(_letter(Topic.TRANSCRIPTS.value, encode(_utterance(f"번호 {PHONE}"))), 1)
    garbage = _stored(_letter(Topic.TRANSCRIPTS.value, b"not json"), 2)
    chunk = AudioChunk(call_id="c1", seq=0, channel="agent", sample_rate=8000, pcm=b"\0\0")
    audio = _stored(_letter(Topic.AUDIO.value, encode(chunk)), 3)
    publisher = _Publisher()
    result = replay([good, pii, garbage, audio], publisher)  # type: ignore[arg-type]
    assert result.replayed == [good.ref, pii.ref]
    assert set(result.skipped) == {garbage.ref, audio.ref}
    assert "still invalid" in result.skipped[garbage.ref]
    assert "audio-header" in result.skipped[audio.ref]
    topics = {topic for topic, *_ in publisher.sent}
    assert topics == {Topic.TRANSCRIPTS.value} and publisher.flushes == 1
    replayed_pii = publisher.sent[1][2]
    assert replayed_pii is not None and PHONE.encode() not in replayed_pii
    for _, key, _, headers in publisher.sent:
        assert key == b"c1"
        names = [name for name, _ in headers]
        assert names == [DLQ_HEADER_PREFIX + "replayed-from"]
    dry = _Publisher()
    assert replay([good], dry, dry_run=True).replayed == [good.ref]  # type: ignore[arg-type]
    assert dry.sent == [] and dry.flushes == 0
