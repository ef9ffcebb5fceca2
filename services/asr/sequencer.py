"""Per-channel chunk sequencing: drop redelivered chunks, reorder late ones, bound the wait."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

__all__ = ["ChunkSequencer", "Offer", "SequencedChunk"]


class Offer(Enum):
    """What happened to an offered chunk."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class SequencedChunk:
    """A chunk released in order; `gap_before` counts lost chunks skipped just before it."""

    seq: int
    pcm: bytes
    last: bool
    gap_before: int = 0


@dataclass(slots=True)
class ChunkSequencer:
    """Releases one channel's chunks in `seq` order, exactly once each.

    Chunks behind the next expected seq, or already waiting, are duplicates. A chunk ahead
    of a hole waits; once more than `max_pending` wait, the hole is declared lost and
    skipped (the caller fills it with silence so timestamps stay aligned).
    """

    max_pending: int = 50
    next_seq: int = 0
    ended: bool = False
    _pending: dict[int, tuple[bytes, bool]] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        """Chunks waiting for a hole to fill."""
        return len(self._pending)

    @property
    def started(self) -> bool:
        """Whether seq 0 has been released (a stream seen from its start)."""
        return self.next_seq > 0

    def offer(self, seq: int, pcm: bytes, last: bool) -> Offer:
        """Take a chunk; it is released by `ready()`."""
        if seq < self.next_seq or seq in self._pending or self.ended:
            return Offer.DUPLICATE
        self._pending[seq] = (pcm, last)
        return Offer.ACCEPTED

    def ready(self, *, force: bool = False) -> list[SequencedChunk]:
        """Chunks now in order; `force` (or too many waiting) skips holes."""
        out: list[SequencedChunk] = []
        while self._pending and not self.ended:
            gap = 0
            if self.next_seq not in self._pending:
                if not force and len(self._pending) <= self.max_pending:
                    break
                lowest = min(self._pending)
                gap, self.next_seq = lowest - self.next_seq, lowest
            pcm, last = self._pending.pop(self.next_seq)
            out.append(SequencedChunk(self.next_seq, pcm, last, gap))
            self.next_seq += 1
            self.ended = last
        if self.ended:
            self._pending.clear()  # anything numbered after `last` is noise
        return out

    def would_skip_start(self, *, force: bool = False) -> bool:
        """Whether releasing now would skip seq 0 (the stream's start was never seen)."""
        return (
            not self.started
            and bool(self._pending)
            and 0 not in self._pending
            and (force or len(self._pending) > self.max_pending)
        )
