"""Drop Whisper's known Korean hallucinations on silence and noise, and count what was dropped."""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace

from services.asr.transcript import Transcript, TranscriptSegment

__all__ = ["KNOWN_PHRASES", "DropCounter", "HallucinationFilter"]

# Captions of Korean YouTube and broadcast subtitles that Whisper learned to emit on silence.
# Matched after removing spaces and punctuation.
KNOWN_PHRASES: tuple[str, ...] = (
    r"시청(해|하여)?주셔서(정말)?(대단히)?감사",
    r"구독(과|이랑|하고)?좋아요",
    r"좋아요(와|랑)?구독",
    r"구독(과|하고)?알림",
    r"(mbc|kbs|sbs|ytn|jtbc|mbn|obs)뉴스",
    r"뉴스[가-힣]{2,4}입니다$",
    r"다음(영상|시간|편)에서?(또)?만나요",
    r"다음영상에서뵙겠습니다",
    r"(한글)?자막(제공|제작|by)",
    r"subtitlesby",
    r"amaraorg",
    r"제작지원",
    r"영상편집",
    r"^(감사합니다)?(시청|청취)해?주셔서",
)
_PHRASES = re.compile("|".join(f"(?:{p})" for p in KNOWN_PHRASES))
_NOT_WORD = re.compile(r"[\s\W_]+", re.UNICODE)
# A short unit repeated back to back at least five times (",000,000,...", "육육, 육육, ...").
_RUN = re.compile(r"(.{1,8}?)\1{4,}", re.DOTALL)


@dataclass(slots=True)
class DropCounter:
    """How many segments were dropped, per reason, and how many were kept."""

    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)

    @property
    def total_dropped(self) -> int:
        """Dropped segments over all reasons."""
        return sum(self.dropped.values())

    def as_dict(self) -> dict[str, int]:
        """Flat counts for metrics and reports."""
        return {"kept": self.kept, **{f"dropped_{k}": v for k, v in sorted(self.dropped.items())}}


@dataclass(slots=True)
class HallucinationFilter:
    """Removes hallucinated segments from a transcript.

    Three tests per segment: a known caption phrase; a repetition loop (Whisper's gzip
    compression-ratio test on the text, a short unit repeated back to back over much of it,
    or one n-gram filling most of it); and Whisper's own no-speech rule (no-speech
    probability high while the decoder was unsure), which faster-whisper applies per 30 s
    window only.
    """

    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    counter: DropCounter = field(default_factory=DropCounter)

    def clean(self, transcript: Transcript) -> Transcript:
        """The transcript without hallucinated segments (possibly with none left)."""
        kept: list[TranscriptSegment] = []
        for segment in transcript.segments:
            reason = self.reason(segment)
            if reason is None:
                kept.append(segment)
                self.counter.kept += 1
            else:
                self.counter.dropped[reason] += 1
        return replace(transcript, segments=tuple(kept))

    def reason(self, segment: TranscriptSegment) -> str | None:
        """Why the segment is a hallucination, or None if it looks like speech."""
        squashed = _NOT_WORD.sub("", segment.text).lower()
        if not squashed:
            return "empty"
        if _PHRASES.search(squashed):
            return "known_phrase"
        if (
            segment.no_speech_prob > self.no_speech_threshold
            and segment.avg_logprob < self.log_prob_threshold
        ):
            return "no_speech"
        if _is_loop(segment.text, self.compression_ratio_threshold):
            return "repetition"
        return None


def _is_loop(text: str, ratio_threshold: float) -> bool:
    raw = text.strip().encode()
    if len(raw) >= 24 and len(raw) / len(zlib.compress(raw)) > ratio_threshold:
        return True
    # Too short for gzip to tell; a long run of one unit filling much of the segment is a
    # decoder loop (a real amount like "1000000원" is a run of 6, far below both bars).
    compact = "".join(text.split())
    longest = max((len(m.group()) for m in _RUN.finditer(compact)), default=0)
    if longest >= 12 and longest >= 0.4 * len(compact):
        return True
    words = text.split()
    for n in (1, 2, 3):
        grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
        if len(grams) < 4:
            break
        _, count = Counter(grams).most_common(1)[0]
        if count >= 4 and count * n >= 0.6 * len(words):
            return True
    return False
