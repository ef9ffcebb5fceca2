"""ASR figures: per-clip results, their means per condition, and Whisper's heard call turns."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["ClipCer", "ClipResult", "WhisperTexts", "mean_by_condition", "summary_rows"]


class _Call(Protocol):
    """What `WhisperTexts` needs of a scripted call: its id."""

    @property
    def call_id(self) -> str:
        """The call's id."""
        ...


@dataclass(frozen=True, slots=True)
class ClipResult:
    """What the engine made of one clip under one condition."""

    name: str
    set: str
    condition: str
    reference: str
    hypothesis: str
    cer: float
    duration_s: float
    seconds: float
    dropped_segments: int


@dataclass(frozen=True)
class ClipCer:
    """Mean CER of the real clips under one condition."""

    condition: str
    clips: int
    cer: float
    rtf: float


@dataclass(frozen=True)
class WhisperTexts:
    """Whisper's transcripts of the customer turns, and their CER against the script."""

    texts: dict[str, list[str]]
    cer: list[float]
    audio_s: float
    seconds: float

    @property
    def mean_cer(self) -> float:
        """Mean utterance CER (NaN when nothing was transcribed)."""
        return statistics.fmean(self.cer) if self.cer else float("nan")

    def __call__(self, call: _Call) -> list[str]:
        """The heard turns of a transcribed call (a `TurnTexts`)."""
        return self.texts[call.call_id]


def mean_by_condition(results: Iterable[ClipResult]) -> list[ClipCer]:
    """Mean CER and real-time factor per condition, in the order conditions first appear."""
    by_condition: dict[str, list[tuple[float, float, float]]] = {}
    for result in results:
        by_condition.setdefault(result.condition, []).append(
            (result.cer, result.seconds, result.duration_s))
    return [
        ClipCer(condition, len(rows), statistics.fmean(r[0] for r in rows),
                sum(r[1] for r in rows) / sum(r[2] for r in rows))
        for condition, rows in by_condition.items()
    ]


def summary_rows(results: Iterable[ClipResult]) -> list[dict[str, Any]]:
    """One row per clip set and condition: clips, mean CER, real-time factor (`eval asr`)."""
    groups: dict[tuple[str, str], list[ClipResult]] = {}
    for r in results:
        groups.setdefault((r.set, r.condition), []).append(r)
    return [
        {"set": clip_set, "condition": condition, "clips": len(items),
         "cer": statistics.fmean(i.cer for i in items),
         "rtf": sum(i.seconds for i in items) / sum(i.duration_s for i in items)}
        for (clip_set, condition), items in groups.items()
    ]
