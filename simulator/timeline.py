"""Where each turn of a call sits in time: from synthesized audio, or estimated from the text."""

from __future__ import annotations

from dataclasses import dataclass

from services.schemas import Speaker
from simulator.scenarios import ScriptedCall

__all__ = ["Segment", "text_timeline"]

# Conversational Korean runs at about 5-7 syllables a second; 6 is a fair middle.
_SYLLABLES_PER_S = 6.0


@dataclass(frozen=True)
class Segment:
    """One turn on the call's timeline."""

    seq: int
    speaker: Speaker
    text: str
    start_ms: int
    end_ms: int


def text_timeline(
    call: ScriptedCall, *, syllables_per_s: float = _SYLLABLES_PER_S, gap_ms: int = 400
) -> list[Segment]:
    """Estimated start/end of every turn when no audio is rendered (transcript mode)."""
    segments: list[Segment] = []
    cursor = gap_ms
    for seq, turn in enumerate(call.turns):
        syllables = sum(1 for ch in turn.text if not ch.isspace() and ch not in ".,?!")
        length = max(300, int(syllables / syllables_per_s * 1000))
        segments.append(Segment(seq, turn.speaker, turn.text, cursor, cursor + length))
        cursor += length + gap_ms
    return segments
