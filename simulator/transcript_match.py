"""Utterance end → transcript: each spoken turn matched to what the ASR stage published for it.

The simulator knows where every turn sits in the audio it sent (`Segment`) and when each
200 ms chunk left; the collector knows when each ASR `Utterance` reached the transcripts
topic. A turn's latency runs from the send time of the chunk that holds its end to the
arrival of the last transcript that overlaps it on the same channel (the ASR may cut a long
turn in two; the turn is transcribed only when its last piece is out).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.schemas import Speaker
from simulator.timeline import Segment

__all__ = ["Heard", "TurnMatch", "match_turns"]


@dataclass(frozen=True)
class Heard:
    """One ASR transcript as the collector saw it: its channel, span (ms) and arrival time."""

    speaker: Speaker
    start_ms: int
    end_ms: int
    seen_at: float


@dataclass(frozen=True)
class TurnMatch:
    """The turns that got a transcript (latency ms each) and how many got none."""

    latencies_ms: list[float]
    unmatched: int


def _chunk_holding(at_ms: int, chunk_ms: int) -> int:
    # Chunk i carries [i * chunk_ms, (i + 1) * chunk_ms); an end exactly on a boundary
    # belongs to the chunk before it.
    return max(0, -(-at_ms // chunk_ms) - 1)


def match_turns(
    segments: Sequence[Segment],
    heard: Sequence[Heard],
    chunk_sent: Mapping[int, float],
    *,
    chunk_ms: int = 200,
) -> TurnMatch:
    """Latency (ms) of every segment from its end chunk's send time to its transcript.

    A segment matches the transcripts of its channel whose span overlaps its own. When the
    ASR trimmed the tail (its last transcript ends before the segment does), the latency
    counts from the chunk holding that earlier end: no transcript can come before its audio.
    """
    latencies: list[float] = []
    unmatched = 0
    last_chunk = max(chunk_sent, default=-1)
    for segment in segments:
        overlapping = [
            h
            for h in heard
            if h.speaker is segment.speaker
            and h.start_ms < segment.end_ms
            and h.end_ms > segment.start_ms
        ]
        if not overlapping or last_chunk < 0:
            unmatched += 1
            continue
        end_ms = min(segment.end_ms, max(h.end_ms for h in overlapping))
        chunk = min(_chunk_holding(end_ms, chunk_ms), last_chunk)
        if chunk not in chunk_sent:
            unmatched += 1
            continue
        latencies.append((max(h.seen_at for h in overlapping) - chunk_sent[chunk]) * 1000)
    return TurnMatch(latencies, unmatched)
