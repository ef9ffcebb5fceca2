"""The contract between the generic stage runner and each stage's handler.

The runner (pipelines/runner.py) owns poll, decode, handle, produce, commit, DLQ and
shutdown. A handler owns only its logic: it takes one decoded message and returns the
messages to publish. Delivery is at least once, so every effect a handler has must be
idempotent (unique keys); the runner publishes a handler's output and flushes it before
it commits the input's offset.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from services.schemas import Message, Topic


@dataclass(frozen=True, slots=True)
class Incoming:
    """A decoded message with where it was read from."""

    message: Message
    partition: int
    offset: int
    headers: tuple[tuple[str, bytes], ...] = ()  # the record's Kafka headers (traceparent)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a handler refuses an input it had held, and where that input was read."""

    reason: str
    partition: int
    offset: int
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to publish; the key is always the message's call_id.

    With `refused` set it is not published: `message`, read from `topic`, goes to that
    topic's DLQ with the reason. A handler that held an input (waiting for something that
    never came) refuses it this way, from `tick` too, when raising PoisonMessage no longer
    reaches its record.
    """

    topic: Topic
    message: Message
    refused: Refusal | None = None


def refuse(incoming: Incoming, topic: Topic, reason: str) -> Outgoing:
    """Send a held input to the DLQ of `topic` (where it was read from) with `reason`."""
    where = Refusal(reason, incoming.partition, incoming.offset, incoming.headers)
    return Outgoing(topic, incoming.message, refused=where)


class PoisonMessage(Exception):
    """The input can never be handled (bad content, not a passing fault): send it to the DLQ."""


class StageHandler(Protocol):
    """What a stage supplies to the runner."""

    name: str
    sources: tuple[Topic, ...]

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        """Handle one message. Raise PoisonMessage for bad input; other errors are retried."""
        ...

    def tick(self, now: float) -> Sequence[Outgoing]:
        """Called after every poll (now = time.monotonic()); flush what timed out."""
        ...

    def safe_offset(self, partition: int) -> int | None:
        """Lowest offset of `partition` still needed to rebuild in-memory state.

        The runner never commits past it, so a crash replays what was not yet turned into
        output. None means every handled offset may be committed.
        """
        ...

    def revoke(self, partitions: Collection[int]) -> None:
        """Forget in-memory state of partitions this worker no longer owns."""
        ...


@runtime_checkable
class BatchHandler(Protocol):
    """Optional: a handler that also takes a partition's poll batch at once.

    The runner offers every batch of more than one decoded record to `handle_many` (found
    on the handler's class). It must handle them as `handle` would one after the other,
    in order, returning all their outputs; the order of outputs of different calls may
    differ. If it raises, the runner handles the same records one by one with `handle`
    (so a bad record is dead-lettered alone): everything it did must be safe to do again,
    which at-least-once delivery demands of `handle` anyway.
    """

    def handle_many(self, incomings: Sequence[Incoming]) -> Sequence[Outgoing]:
        """Handle several messages of one partition, in order."""
        ...
