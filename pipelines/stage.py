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
from typing import Protocol

from services.schemas import Message, Topic


@dataclass(frozen=True, slots=True)
class Incoming:
    """A decoded message with where it was read from."""

    message: Message
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to publish; the key is always the message's call_id."""

    topic: Topic
    message: Message


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
