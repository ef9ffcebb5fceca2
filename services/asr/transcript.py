"""Engine-neutral ASR values: decode options, transcripts, the SpeechEngine Protocol."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from services.config import AsrSettings

__all__ = [
    "DecodeOptions",
    "EngineUnavailable",
    "SpeechEngine",
    "Transcript",
    "TranscriptSegment",
]


class EngineUnavailable(RuntimeError):
    """The engine's package or its local weights are missing."""


@dataclass(frozen=True, slots=True)
class DecodeOptions:
    """How to decode, grouped in one value instead of forty keyword arguments."""

    language: str | None = "ko"
    beam_size: int = 1
    # One sampled retry when greedy output loops or is unsure. Whisper's default ladder of
    # five temperatures costs up to 5x on unclear phone audio and rarely helps; the
    # hallucination filter drops what still loops.
    temperatures: tuple[float, ...] = (0.0, 0.4)
    # Cap decoded tokens by audio length so a repetition loop stops early (Korean speech
    # needs well under 15 tokens per second); None = Whisper's 448 per 30 s window.
    max_tokens_per_second: float | None = 15.0
    compression_ratio_threshold: float = 2.4
    log_prob_threshold: float = -1.0
    no_speech_threshold: float = 0.6
    initial_prompt: str | None = None
    vad_filter: bool = False  # utterances arrive already cut by our VAD; files want True

    @classmethod
    def from_settings(cls, asr: AsrSettings, *, vad_filter: bool = False) -> DecodeOptions:
        """Options from the ASR settings."""
        return cls(
            language=asr.language or None,
            beam_size=asr.beam_size,
            no_speech_threshold=asr.no_speech_threshold,
            vad_filter=vad_filter,
        )


@dataclass(frozen=True, slots=True)
class TranscriptSegment:
    """One decoded span; times in seconds from the start of the audio given."""

    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float = 1.0


@dataclass(frozen=True, slots=True)
class Transcript:
    """What an engine heard in one piece of audio."""

    segments: tuple[TranscriptSegment, ...]
    language: str
    duration: float
    text: str = field(init=False)
    confidence: float = field(init=False)
    no_speech_prob: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", " ".join(s.text.strip() for s in self.segments).strip())
        weights = [max(s.end - s.start, 0.01) for s in self.segments]
        total = sum(weights) or 1.0
        pairs = list(zip(weights, self.segments, strict=True))
        conf = sum(w * math.exp(min(s.avg_logprob, 0.0)) for w, s in pairs)
        nsp = sum(w * s.no_speech_prob for w, s in pairs)
        object.__setattr__(self, "confidence", conf / total if self.segments else 0.0)
        object.__setattr__(self, "no_speech_prob", nsp / total if self.segments else 1.0)


class SpeechEngine(Protocol):
    """Turns 16 kHz mono float32 audio into a transcript (blocking; call from a worker thread).

    Engines that subclass it explicitly inherit `transcribe_batch` as a loop; engines that
    can batch (faster-whisper) override it.
    """

    name: str

    def transcribe(self, audio: NDArray[np.float32], options: DecodeOptions) -> Transcript:
        """Transcribe one utterance or file."""
        ...

    def transcribe_batch(
        self, audios: Sequence[NDArray[np.float32]], options: DecodeOptions
    ) -> list[Transcript]:
        """Transcribe several utterances (e.g. of different calls); one result per input, in order.

        The result for each input is what decoding it alone gives (an engine that fits the
        encoder window to the utterance, or batches, documents how close it comes).
        """
        return [self.transcribe(audio, options) for audio in audios]
