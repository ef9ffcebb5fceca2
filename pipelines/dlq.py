"""Dead-letter records: the poison message's bytes unchanged, the failure in Kafka headers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["DLQ_HEADER_PREFIX", "DeadLetter", "build_dead_letter", "error_class_name"]

DLQ_HEADER_PREFIX = "kcall.dlq."
_MAX_MESSAGE_CHARS = 2000


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
) -> DeadLetter:
    """Wrap a failed input for its DLQ.

    The original key, value and headers are kept byte for byte so the record can be
    inspected or replayed as it was; headers of an earlier dead-lettering are replaced.

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
    """
    message = str(error) or repr(error)
    ours = {
        "error.class": error_class_name(error),
        "error.message": message[:_MAX_MESSAGE_CHARS],
        "stage": stage,
        "source.topic": topic,
        "source.partition": str(partition),
        "source.offset": str(offset),
        "attempts": str(attempts),
    }
    kept = tuple((name, data) for name, data in headers if not name.startswith(DLQ_HEADER_PREFIX))
    added = tuple((DLQ_HEADER_PREFIX + name, text.encode()) for name, text in ours.items())
    return DeadLetter(topic=f"{topic}.dlq", key=key, value=value, headers=kept + added)
