"""Streaming utterance segmentation on faster-whisper's bundled Silero VAD.

`faster_whisper.vad.get_speech_timestamps` works on a whole signal and restarts the LSTM
state on every call, so calling it on a growing buffer is quadratic and jumpy. Here the
same ONNX model (`get_vad_model()`) runs window by window with its state carried across
chunks, and a small state machine applies the same `VadOptions` rules as it goes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from faster_whisper.vad import VadOptions, get_vad_model
from numpy.typing import NDArray

from services.asr.audio import WHISPER_RATE
from services.config import AsrSettings

__all__ = [
    "SileroStream",
    "SpeechProbability",
    "SpeechSegment",
    "UtteranceSegmenter",
    "VadOptions",
    "vad_options",
]

_WINDOW = 512  # Silero v6 at 16 kHz: 32 ms windows plus 64 samples of context
_CONTEXT = 64
_SHORT_PAUSE = WHISPER_RATE * 98 // 1000  # a pause long enough to split an overlong utterance at


def vad_options(asr: AsrSettings) -> VadOptions:
    """Segmentation options from the ASR settings."""
    return VadOptions(
        threshold=0.5,
        min_speech_duration_ms=250,  # shorter blips are clicks and breaths: Whisper invents text
        max_speech_duration_s=asr.max_utterance_s,
        min_silence_duration_ms=asr.min_silence_ms,
        speech_pad_ms=200,
    )


# Maps (n, 512) consecutive 16 kHz windows to n speech probabilities, keeping its own state.
SpeechProbability = Callable[[NDArray[np.float32]], NDArray[np.float32]]


class SileroStream:
    """Silero VAD run window by window with its LSTM state and context carried over."""

    def __init__(self) -> None:
        self._session = get_vad_model().session  # one ONNX session per process, thread-safe
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)

    def __call__(self, windows: NDArray[np.float32]) -> NDArray[np.float32]:
        """Speech probability of each window, continuing from the previous call."""
        contexts = np.vstack([self._context[None, :], windows[:-1, -_CONTEXT:]])
        self._context = windows[-1, -_CONTEXT:].copy()
        probs, self._h, self._c = self._session.run(
            None, {"input": np.hstack([contexts, windows]), "h": self._h, "c": self._c}
        )
        return np.asarray(probs, dtype=np.float32).reshape(-1)


@dataclass(frozen=True, slots=True)
class SpeechSegment:
    """One utterance of one channel: speech bounds in 16 kHz samples and the padded audio."""

    start: int
    end: int
    audio: NDArray[np.float32]

    @property
    def start_ms(self) -> int:
        """Speech start in ms from the channel's first sample."""
        return self.start * 1000 // WHISPER_RATE

    @property
    def end_ms(self) -> int:
        """Speech end in ms from the channel's first sample."""
        return self.end * 1000 // WHISPER_RATE


class UtteranceSegmenter:
    """Cuts one channel's 16 kHz audio into utterances as it streams in; bounded memory.

    An utterance ends after `min_silence_duration_ms` of silence, or is split at the last
    short pause (else hard) once it reaches `max_speech_duration_s`. Leading silence is
    dropped except a `speech_pad_ms` pre-roll, so memory stays under one utterance.
    """

    def __init__(self, options: VadOptions, vad: SpeechProbability | None = None) -> None:
        self._threshold = float(options.threshold)
        neg = options.neg_threshold
        self._neg = float(neg) if neg is not None else max(self._threshold - 0.15, 0.01)
        self._min_speech = WHISPER_RATE * int(options.min_speech_duration_ms) // 1000
        self._min_silence = WHISPER_RATE * int(options.min_silence_duration_ms) // 1000
        self._pad = WHISPER_RATE * int(options.speech_pad_ms) // 1000
        self._max_speech = int(WHISPER_RATE * float(options.max_speech_duration_s))
        self._vad = vad if vad is not None else SileroStream()
        self._audio = np.zeros(0, dtype=np.float32)
        self._audio_start = 0  # channel sample index of self._audio[0]
        self._processed = 0  # channel sample index where the next VAD window starts
        self._floor = 0  # end of the last utterance: padding never reaches back past it
        self._triggered = False
        self._start = self._temp_end = self._prev_end = 0
        self.dropped_short = 0

    @property
    def buffered_samples(self) -> int:
        """Audio samples held right now (the memory bound is about one utterance)."""
        return len(self._audio)

    @property
    def received(self) -> int:
        """Channel samples received so far."""
        return self._audio_start + len(self._audio)

    def horizon(self) -> int:
        """No utterance this channel emits later can start before this sample."""
        return self._start if self._triggered else self._processed

    def push(self, samples: NDArray[np.float32]) -> list[SpeechSegment]:
        """Add audio; return the utterances it completed."""
        self._audio = np.concatenate([self._audio, samples.astype(np.float32, copy=False)])
        count = (self.received - self._processed) // _WINDOW
        if count == 0:
            return []
        first = self._processed - self._audio_start
        windows = self._audio[first : first + count * _WINDOW].reshape(count, _WINDOW)
        done: list[SpeechSegment] = []
        for prob in self._vad(windows):
            done += self._step(float(prob))
            self._processed += _WINDOW
        self._trim()
        return done

    def flush(self) -> list[SpeechSegment]:
        """The stream ended: close the open utterance, if any, at the last sample."""
        done: list[SpeechSegment] = []
        if self._triggered:
            end = self._temp_end or self.received
            done += self._cut(end, self.received)
            self._triggered = False
        self._processed = self.received
        self._trim()
        return done

    def _step(self, prob: float) -> list[SpeechSegment]:
        pos = self._processed
        if prob >= self._threshold:
            self._temp_end = 0
            if not self._triggered:
                self._triggered, self._start, self._prev_end = True, pos, 0
                return []
        if not self._triggered:
            return []
        if pos + _WINDOW - self._start > self._max_speech:
            cut = self._prev_end if self._prev_end > self._start else pos
            done = self._cut(cut, cut)
            self._triggered, self._start, self._temp_end, self._prev_end = True, cut, 0, 0
            return done
        if prob < self._neg:
            self._temp_end = self._temp_end or pos
            if pos - self._temp_end > _SHORT_PAUSE:
                self._prev_end = self._temp_end
            if pos + _WINDOW - self._temp_end >= self._min_silence:
                self._triggered = False
                return self._cut(self._temp_end, self._temp_end + self._pad)
        return []

    def _cut(self, end: int, audio_end: int) -> list[SpeechSegment]:
        start = self._start
        audio_start = max(start - self._pad, self._floor, self._audio_start)
        audio_end = min(audio_end, self.received)
        self._floor = audio_end
        if end - start < self._min_speech:
            self.dropped_short += 1
            return []
        audio = self._audio[audio_start - self._audio_start : audio_end - self._audio_start]
        return [SpeechSegment(start, end, audio.copy())]

    def _trim(self) -> None:
        # Keep only what a future utterance can still use: the open one, or the pre-roll.
        keep_from = self._start - self._pad if self._triggered else self._processed - self._pad
        keep_from = max(keep_from, self._floor if not self._triggered else 0, self._audio_start)
        keep_from = min(keep_from, self._processed)
        if keep_from > self._audio_start:
            self._audio = self._audio[keep_from - self._audio_start :]
            self._audio_start = keep_from
