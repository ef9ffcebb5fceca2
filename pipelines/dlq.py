"""Dead letters: the poison message REDACTED, the failure in Kafka headers, and the DLQ tools.

Writing (the stage runner): `build_dead_letter` turns a failed input into a record for
`<source topic>.dlq`. A DLQ keeps records long after the call, so it must never hold what
the pipeline itself would not store:

- JSON values (transcripts, insights, summaries, model requests) are parsed and every
  string in them, keys included, goes through the Korean PII redaction; a value with no
  personal data stays byte for byte as it was, so it can be replayed unchanged.
- Audio frames keep only their JSON header (redacted) and the PCM length: speech is
  personal data and is never replayable from a DLQ anyway (header `payload=audio-header`).
- Anything else (not JSON, not UTF-8) is redacted as text, undecodable bytes kept, cut
  to 16 KiB when larger; JSON strings are cut at 8 000 characters and 200 000 in all
  (`payload=truncated`). Redaction time grows faster than the text, and no
  valid message comes near these bounds, so a huge poison message cannot stall a stage.
The error message, the key and the original headers are redacted the same way.

Reading (`kcall dlq ...`): `read_letters` reads the DLQ topics from the "purged up to"
offsets, `replay` re-publishes to the source topic what decodes now, and `purge` moves
those offsets forward (see `purge`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from agents.korean import redact
from services.broker import Publisher, client_config, make_admin
from services.config import KafkaSettings
from services.schemas import DecodeError, Topic, decode
from services.schemas.codec import audio_header
from services.schemas.limits import CONSUMER_MAX_PARTITION_FETCH_BYTES

__all__ = [
    "DLQ_HEADER_PREFIX",
    "PURGED_GROUP",
    "DeadLetter",
    "LetterFilter",
    "PurgeResult",
    "ReplayResult",
    "StoredLetter",
    "build_dead_letter",
    "dlq_topics",
    "error_class_name",
    "purge",
    "read_letters",
    "redact_payload",
    "replay",
]

log = logging.getLogger(__name__)

DLQ_HEADER_PREFIX = "kcall.dlq."
#: Consumer group whose committed offsets mark each DLQ partition "purged up to here".
PURGED_GROUP = "kcall.dlq-purged"
_MAX_MESSAGE_CHARS = 2000
# Redaction costs grow faster than the text, so what a letter redacts is bounded; no valid
# message comes near these (strings on the wire are at most 4 000 characters).
_MAX_TEXT_PAYLOAD_BYTES = 16 * 1024  # non-JSON payloads keep this much
_MAX_STRING_CHARS = 8000  # longer JSON strings are cut
_MAX_JSON_CHARS = 200_000  # strings of a JSON payload past this many characters are dropped
_MAX_HEADER_BYTES = 4096  # per original header value, and for the key
_DLQ_SUFFIX = ".dlq"
_SETTLE_S = 0.5  # reading stops once the end is reached and nothing came for this long

# What a dead letter's value holds (header kcall.dlq.payload).
ORIGINAL = "original"  # no personal data found: the bytes as they were
REDACTED = "redacted"  # personal data replaced by placeholders
AUDIO_HEADER = "audio-header"  # an audio frame's header only; the PCM was not kept
TRUNCATED = "truncated"  # cut to the bounds below, then redacted; never replayable
EMPTY = "empty"  # a tombstone (no value), or nothing could safely be kept


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record to publish to `<source topic>.dlq`."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]


def error_class_name(error: BaseException) -> str:
    """Fully qualified class name of an exception, e.g. services.schemas.codec.DecodeError."""
    kind = type(error)
    return f"{kind.__module__}.{kind.__qualname__}"


def build_dead_letter(
    *,
    stage: str,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes]],
    error: BaseException,
    attempts: int,
    now: datetime | None = None,
) -> DeadLetter:
    """Wrap a failed input for its DLQ, redacted (see the module docstring).

    Headers of an earlier dead-lettering are replaced by this one's.

    Args:
        stage: Name of the stage that gave up.
        topic: Topic the record was read from.
        partition: Its partition.
        offset: Its offset.
        key: Original key bytes.
        value: Original value bytes.
        headers: Original Kafka headers.
        error: Why it failed.
        attempts: Handler attempts made (0 when it could not even be decoded).
        now: When it failed (default: now, UTC).
    """
    payload, kind = redact_payload(topic, value)
    message = _redact_text((str(error) or repr(error))[:_MAX_MESSAGE_CHARS])
    ours = {
        "error.class": error_class_name(error),
        "error.message": message[:_MAX_MESSAGE_CHARS],
        "stage": stage,
        "source.topic": topic,
        "source.partition": str(partition),
        "source.offset": str(offset),
        "attempts": str(attempts),
        "time": (now or datetime.now(UTC)).astimezone(UTC).isoformat(),
        "payload": kind,
        "payload.bytes": str(0 if value is None else len(value)),
    }
    kept = tuple(
        (name, _redact_bytes(data[:_MAX_HEADER_BYTES])[0])
        for name, data in headers
        if not name.startswith(DLQ_HEADER_PREFIX)
    )
    added = tuple((DLQ_HEADER_PREFIX + name, text.encode()) for name, text in ours.items())
    red_key = None if key is None else _redact_bytes(key[:_MAX_HEADER_BYTES])[0]
    return DeadLetter(topic=topic + _DLQ_SUFFIX, key=red_key, value=payload, headers=kept + added)


def redact_payload(topic: str, value: bytes | None) -> tuple[bytes | None, str]:
    """The value a dead letter may keep for `value` read from `topic`, and what it is."""
    if value is None:
        return None, EMPTY
    try:
        if topic == Topic.AUDIO.value:
            return _audio_payload(value), AUDIO_HEADER
        document = _json_document(value)
        if document is not None:
            budget = _Budget()
            redacted = _redact_json(document, budget)
            if redacted == document:
                return value, ORIGINAL
            kind = TRUNCATED if budget.cut else REDACTED
            return json.dumps(redacted, ensure_ascii=False).encode(), kind
        return _text_payload(value)
    except Exception:  # noqa: BLE001 - a dead letter must always be writable: keep nothing
        log.exception("dead letter of %s: payload could not be redacted, dropped", topic)
        return None, EMPTY


def _audio_payload(value: bytes) -> bytes:
    document: dict[str, Any] = {"audio_header": None, "frame_bytes": len(value)}
    try:
        document["audio_header"] = _redact_json(audio_header(value), _Budget())
    except DecodeError as error:
        document["why"] = str(error)
    else:
        document["pcm_bytes"] = len(value) - 8 - int.from_bytes(value[4:8], "big")
    return json.dumps(document, ensure_ascii=False).encode()


def _json_document(value: bytes) -> Any:
    try:
        document = json.loads(value)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict | list) else None


@dataclass(slots=True)
class _Budget:
    """Characters a JSON payload may still have redacted, and whether anything was cut."""

    left: int = _MAX_JSON_CHARS
    cut: bool = False


def _redact_json(node: Any, budget: _Budget) -> Any:
    """`node` with every string (keys too) redacted, long strings cut, within `budget`."""
    if isinstance(node, str):
        if len(node) > min(_MAX_STRING_CHARS, budget.left):
            budget.cut = True
            node = node[: max(0, min(_MAX_STRING_CHARS, budget.left))]
        budget.left -= len(node)
        return _redact_text(node) if node else node
    if isinstance(node, list):
        return [_redact_json(item, budget) for item in node]
    if isinstance(node, dict):
        return {_redact_json(k, budget): _redact_json(v, budget) for k, v in node.items()}
    return node


def _text_payload(value: bytes) -> tuple[bytes, str]:
    redacted, changed = _redact_bytes(value[:_MAX_TEXT_PAYLOAD_BYTES])
    if len(value) > _MAX_TEXT_PAYLOAD_BYTES:
        return redacted, TRUNCATED
    return (redacted, REDACTED) if changed else (value, ORIGINAL)


def _redact_bytes(data: bytes) -> tuple[bytes, bool]:
    # surrogateescape keeps bytes that are not UTF-8 exactly as they were.
    text = data.decode("utf-8", "surrogateescape")
    redacted = _redact_text(text)
    if redacted == text:
        return data, False
    return redacted.encode("utf-8", "surrogateescape"), True


def _redact_text(text: str) -> str:
    try:
        return redact(text).text
    except Exception:  # noqa: BLE001 - never let a dead letter fail; keep nothing of it
        log.exception("redaction failed on a dead letter's text; dropped")
        return "[redaction failed]"


# --- reading the DLQ ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredLetter:
    """One record read back from a DLQ topic."""

    dlq_topic: str
    partition: int
    offset: int
    timestamp: datetime
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    @property
    def ref(self) -> str:
        """`<dlq topic>:<partition>:<offset>`, what `kcall dlq show` takes."""
        return f"{self.dlq_topic}:{self.partition}:{self.offset}"

    def meta(self, name: str) -> str | None:
        """A kcall.dlq.* header as text (None when absent)."""
        for header, data in self.headers:
            if header == DLQ_HEADER_PREFIX + name:
                return data.decode(errors="replace")
        return None

    @property
    def source_topic(self) -> str:
        """The topic the message failed on."""
        return self.meta("source.topic") or self.dlq_topic.removesuffix(_DLQ_SUFFIX)

    @property
    def error_class(self) -> str:
        """Qualified class name of the failure."""
        return self.meta("error.class") or "?"

    @property
    def error_message(self) -> str:
        """The (redacted) failure message."""
        return self.meta("error.message") or ""

    @property
    def failed_at(self) -> datetime:
        """When it was dead-lettered (the record's timestamp if the header is missing)."""
        text = self.meta("time")
        try:
            return datetime.fromisoformat(text).astimezone(UTC) if text else self.timestamp
        except ValueError:
            return self.timestamp

    @property
    def payload_kind(self) -> str:
        """What the value holds: original, redacted, audio-header, truncated or empty."""
        return self.meta("payload") or ORIGINAL

    def summary(self) -> dict[str, Any]:
        """Everything but the payload, for `kcall dlq list --json`."""
        return {
            "ref": self.ref,
            "time": self.failed_at.isoformat(),
            "source_topic": self.source_topic,
            "source_partition": _int_or_none(self.meta("source.partition")),
            "source_offset": _int_or_none(self.meta("source.offset")),
            "stage": self.meta("stage"),
            "attempts": _int_or_none(self.meta("attempts")),
            "error_class": self.error_class,
            "error_message": self.error_message,
            "payload": self.payload_kind,
            "payload_bytes": _int_or_none(self.meta("payload.bytes")),
            "key": None if self.key is None else self.key.decode(errors="replace"),
        }


def _int_or_none(text: str | None) -> int | None:
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class LetterFilter:
    """Which letters a command acts on; None means any."""

    topic: str | None = None  # a source topic or its DLQ topic
    error: str | None = None  # case-insensitive substring of the error class or message
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, letter: StoredLetter) -> bool:
        """Whether `letter` passes every filter set."""
        if self.topic is not None and self.topic not in (letter.source_topic, letter.dlq_topic):
            return False
        if self.error is not None:
            needle = self.error.lower()
            haystack = f"{letter.error_class}: {letter.error_message}".lower()
            if needle not in haystack:
                return False
        failed_at = letter.failed_at
        if self.since is not None and failed_at < self.since:
            return False
        return self.until is None or failed_at <= self.until


def dlq_topics(topic: str | None = None) -> list[str]:
    """The DLQ topic names a command reads: every contract topic's, or `topic`'s own."""
    if topic is None:
        return [t.dlq for t in Topic]
    return [topic if topic.endswith(_DLQ_SUFFIX) else topic + _DLQ_SUFFIX]


def _consumer(kafka: KafkaSettings, bootstrap: str) -> KafkaConsumer:
    # Assigned partitions only, never subscribed: the group just stores "purged up to" offsets.
    return KafkaConsumer(
        **client_config(kafka, bootstrap, client_id="kcall-dlq"),
        group_id=PURGED_GROUP,
        enable_auto_commit=False,
        fetch_max_wait_ms=100,
        max_partition_fetch_bytes=CONSUMER_MAX_PARTITION_FETCH_BYTES,
    )


def _partitions(consumer: KafkaConsumer, topics: Iterable[str]) -> list[TopicPartition]:
    return [
        TopicPartition(topic, partition)
        for topic in topics
        for partition in sorted(consumer.partitions_for_topic(topic) or ())
    ]


def _start_offsets(
    consumer: KafkaConsumer, partitions: list[TopicPartition]
) -> dict[TopicPartition, int]:
    """First unpurged offset of each partition: past deleted records and the purge mark."""
    low = consumer.beginning_offsets(partitions)
    starts = {}
    for tp in partitions:
        purged = consumer.committed(tp)
        starts[tp] = max(low[tp], purged or 0)
    return starts


def read_letters(
    kafka: KafkaSettings,
    bootstrap: str,
    topics: Sequence[str],
    *,
    where: LetterFilter | None = None,
    timeout_s: float = 30.0,
) -> list[StoredLetter]:
    """Every unpurged letter of the DLQ `topics` that passes `where`, oldest offset first."""
    consumer = _consumer(kafka, bootstrap)
    try:
        partitions = _partitions(consumer, topics)
        if not partitions:
            return []
        starts = _start_offsets(consumer, partitions)
        ends = consumer.end_offsets(partitions)
        todo = [tp for tp in partitions if starts[tp] < ends[tp]]
        letters = _read_range(consumer, todo, starts, ends, timeout_s)
    finally:
        consumer.close(autocommit=False)
    where = where or LetterFilter()
    return [letter for letter in letters if where.matches(letter)]


def _read_range(
    consumer: KafkaConsumer,
    partitions: list[TopicPartition],
    starts: dict[TopicPartition, int],
    ends: dict[TopicPartition, int],
    timeout_s: float,
) -> list[StoredLetter]:
    """Read from `starts` to the end: past `ends`, and until nothing came for a moment.

    Not just up to `ends`: tansu reports a partition's end as its last batch's base
    offset + 1, short of the batch's other records.
    """
    if not partitions:
        return []
    consumer.assign(partitions)
    for tp in partitions:
        consumer.seek(tp, starts[tp])
    letters: list[StoredLetter] = []
    deadline = time.monotonic() + timeout_s
    last_arrival = time.monotonic()
    while True:
        now = time.monotonic()
        at_end = all(consumer.position(tp) >= ends[tp] for tp in partitions)
        if at_end and now - last_arrival >= _SETTLE_S:
            break
        if now > deadline:
            raise TimeoutError(f"reading the DLQ took over {timeout_s:.0f} s")
        batch = consumer.poll(timeout_ms=200)
        if batch:
            last_arrival = time.monotonic()
        for records in batch.values():
            letters += (
                StoredLetter(
                    dlq_topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                    timestamp=datetime.fromtimestamp(record.timestamp / 1000, UTC),
                    key=record.key,
                    value=record.value,
                    headers=tuple(record.headers or ()),
                )
                for record in records
            )
    return sorted(letters, key=lambda letter: (letter.dlq_topic, letter.partition, letter.offset))


# --- replay and purge --------------------------------------------------------------------


@dataclass(slots=True)
class ReplayResult:
    """What `replay` did: letters re-published, and letters left with the reason."""

    replayed: list[str]
    skipped: dict[str, str]


def replay(
    letters: Iterable[StoredLetter], publisher: Publisher, *, dry_run: bool = False
) -> ReplayResult:
    """Re-publish to its source topic every letter whose payload decodes now.

    The value is validated by the same decoder the stages use; letters whose payload is
    an audio header or truncated text never decode. Replayed records carry a
    `kcall.dlq.replayed-from` header; the letters stay in the DLQ until purged.
    """
    result = ReplayResult(replayed=[], skipped={})
    for letter in letters:
        reason = _unreplayable(letter)
        if reason is not None:
            result.skipped[letter.ref] = reason
            continue
        if not dry_run:
            headers = [(k, v) for k, v in letter.headers if not k.startswith(DLQ_HEADER_PREFIX)]
            headers.append((DLQ_HEADER_PREFIX + "replayed-from", letter.ref.encode()))
            publisher.send_raw(letter.source_topic, key=letter.key, value=letter.value,
                               headers=headers)  # fmt: skip
        result.replayed.append(letter.ref)
    if not dry_run and result.replayed:
        publisher.flush()
    return result


def _unreplayable(letter: StoredLetter) -> str | None:
    if letter.payload_kind in (AUDIO_HEADER, TRUNCATED, EMPTY):
        return f"payload is {letter.payload_kind}: the original was not kept"
    try:
        decode(letter.source_topic, letter.value)
    except DecodeError as error:
        return f"still invalid: {error}"
    return None


@dataclass(slots=True)
class PurgeResult:
    """Per DLQ partition (`topic:partition`), the offset everything below is purged."""

    purged_to: dict[str, int]
    letters: int
    deleted_on_broker: bool


def purge(
    kafka: KafkaSettings,
    bootstrap: str,
    topics: Sequence[str],
    *,
    until: datetime | None = None,
    delete_records: bool = True,
    timeout_s: float = 30.0,
) -> PurgeResult:
    """Purge each DLQ partition up to its end, or up to its first letter after `until`.

    A Kafka log can only lose a prefix, so a purge is "everything below offset N" per
    partition. N is committed as the offset of consumer group `kcall.dlq-purged`, which
    `read_letters` starts from, so a purge works on any broker; then, with
    `delete_records`, the records are also deleted on the broker (DeleteRecords, Apache
    Kafka). A broker without DeleteRecords (tansu) keeps them until retention, hidden.
    """
    consumer = _consumer(kafka, bootstrap)
    try:
        partitions = _partitions(consumer, topics)
        if not partitions:
            return PurgeResult({}, 0, False)
        starts = _start_offsets(consumer, partitions)
        ends = consumer.end_offsets(partitions)
        todo = [tp for tp in partitions if starts[tp] < ends[tp]]
        targets = {tp: starts[tp] for tp in todo}
        keep: set[TopicPartition] = set()  # partitions with a letter after `until`
        for letter in _read_range(consumer, todo, starts, ends, timeout_s):
            tp = TopicPartition(letter.dlq_topic, letter.partition)
            if tp in keep:
                continue
            if until is not None and letter.failed_at > until:
                keep.add(tp)
            else:
                targets[tp] = max(targets[tp], letter.offset + 1)
        moved = {tp: targets[tp] for tp in todo if targets[tp] > starts[tp]}
        count = sum(moved[tp] - starts[tp] for tp in moved)
        if moved:
            consumer.commit({tp: OffsetAndMetadata(o, "", -1) for tp, o in moved.items()})
    finally:
        consumer.close(autocommit=False)
    deleted = bool(moved) and delete_records and _delete_records(kafka, bootstrap, moved)
    return PurgeResult({f"{tp.topic}:{tp.partition}": o for tp, o in moved.items()}, count, deleted)


def _delete_records(
    kafka: KafkaSettings, bootstrap: str, offsets: dict[TopicPartition, int]
) -> bool:
    admin: KafkaAdminClient | None = None
    try:
        admin = make_admin(kafka, bootstrap)
        admin.delete_records(offsets, timeout_ms=10_000)
    except Exception as error:  # noqa: BLE001 - optional: the purge mark already hides them
        log.info("broker did not delete DLQ records (%r); the purge mark hides them", error)
        return False
    finally:
        if admin is not None:
            admin.close()
    return True
