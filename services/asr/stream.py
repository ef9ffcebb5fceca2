"""One call channel from PCM16 chunks to finished utterances: sequence, resample, segment."""

from __future__ import annotations

import math

import numpy as np

from services.asr.audio import WHISPER_RATE, StreamingResampler, pcm16_to_float
from services.asr.sequencer import ChunkSequencer, Offer
from services.asr.vad import SpeechProbability, SpeechSegment, UtteranceSegmenter, VadOptions

__all__ = ["ChannelStream", "SampleRateChanged"]


class SampleRateChanged(ValueError):
    """A channel's chunks changed sample rate mid-call (bad input, not a passing fault)."""


class ChannelStream:
    """Pure per-channel pipeline; no engine, no Kafka, so it tests on plain arrays."""

    def __init__(
        self, options: VadOptions, *, max_pending: int = 50, vad: SpeechProbability | None = None
    ) -> None:
        self.sequencer = ChunkSequencer(max_pending=max_pending)
        self.segmenter = UtteranceSegmenter(options, vad)
        self.sample_rate: int | None = None
        self._resampler: StreamingResampler | None = None
        self._chunk_samples = 0  # length of the last chunk, to fill lost ones with silence
        self.flushed = False

    @property
    def started(self) -> bool:
        """Whether this channel's seq 0 has been released."""
        return self.sequencer.started

    def offer(self, seq: int, pcm: bytes, last: bool, sample_rate: int) -> Offer:
        """Take one chunk (duplicates are recognised and ignored)."""
        if self.sample_rate is None:
            self.sample_rate = sample_rate
            self._resampler = StreamingResampler(sample_rate, WHISPER_RATE)
        elif sample_rate != self.sample_rate:
            raise SampleRateChanged(f"channel is {self.sample_rate} Hz, chunk is {sample_rate} Hz")
        if not self._chunk_samples:
            self._chunk_samples = len(pcm) // 2
        return self.sequencer.offer(seq, pcm, last)

    def would_lose_start(self, *, force: bool = False) -> bool:
        """Whether advancing now would skip this channel's seq 0."""
        return self.sequencer.would_skip_start(force=force)

    def advance(self, *, force: bool = False) -> list[SpeechSegment]:
        """Feed every in-order chunk through VAD; `force` also skips holes and ends the stream."""
        if self._resampler is None or self.flushed:
            self.flushed = self.flushed or force  # a channel that never sent audio ends empty
            return []
        done: list[SpeechSegment] = []
        for chunk in self.sequencer.ready(force=force):
            if chunk.gap_before:
                silence = np.zeros(chunk.gap_before * self._chunk_samples, dtype=np.float32)
                done += self.segmenter.push(self._resampler.push(silence))
            self._chunk_samples = len(chunk.pcm) // 2 or self._chunk_samples
            done += self.segmenter.push(self._resampler.push(pcm16_to_float(chunk.pcm)))
        if self.sequencer.ended or force:
            done += self.segmenter.push(self._resampler.flush())
            done += self.segmenter.flush()
            self.flushed = True
        return done

    def horizon(self) -> float:
        """No later utterance of this channel starts before this 16 kHz sample."""
        return math.inf if self.flushed else float(self.segmenter.horizon())

    @property
    def buffered_samples(self) -> int:
        """Audio samples held (segmenter buffer); waiting out-of-order chunks are on top."""
        return self.segmenter.buffered_samples
