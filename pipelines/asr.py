"""The ASR stage: call audio chunks in, redacted utterances in one order per call out.

Offsets: a call's utterance `seq` numbers are only reproducible when its audio replays from
the call's first chunk, so `safe_offset` holds each partition at the first offset of its
oldest open call. After a crash the open calls replay whole and re-emit the same
(call_id, seq) pairs, which downstream dedupes. A call seen without its start (the replayed
tail of a call that already ended) is recognised and dropped without output.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from pipelines.stage import Incoming, Outgoing, PoisonMessage
from services.asr import (
    ChannelStream,
    DecodeOptions,
    HallucinationFilter,
    Offer,
    SampleRateChanged,
    SpeechEngine,
    SpeechProbability,
    SpeechSegment,
    UtteranceOrderer,
    vad_options,
)
from services.config import AsrSettings
from services.schemas import AudioChunk, CallEnded, Speaker, Topic, Utterance

__all__ = ["AsrHandler", "AsrStats"]

_log = logging.getLogger(__name__)
_CHANNELS = (Speaker.CUSTOMER, Speaker.AGENT)


@dataclass(slots=True)
class AsrStats:
    """Counters for metrics and benchmarks."""

    chunks: int = 0
    duplicates: int = 0
    utterances: int = 0
    empty: int = 0
    calls_ended: int = 0
    calls_timed_out: int = 0
    calls_orphaned: int = 0
    audio_s: float = 0.0
    transcribe_s: float = 0.0


@dataclass(frozen=True, slots=True)
class _Heard:
    speaker: Speaker
    start_ms: int
    end_ms: int
    text: str  # already redacted
    confidence: float


@dataclass(slots=True)
class _Call:
    partition: int
    first_offset: int
    last_seen: float
    channels: dict[Speaker, ChannelStream]
    untranscribed: deque[tuple[Speaker, SpeechSegment]] = field(default_factory=deque)
    orderer: UtteranceOrderer[_Heard] = field(
        default_factory=lambda: UtteranceOrderer([s.value for s in _CHANNELS])
    )
    next_seq: int = 0


class AsrHandler:
    """StageHandler for `calls.audio.v1` -> `calls.transcripts.v1`."""

    name = "asr"
    sources: tuple[Topic, ...] = (Topic.AUDIO,)

    def __init__(
        self,
        engine: SpeechEngine,
        redact: Callable[[str], str],
        asr: AsrSettings,
        *,
        idle_timeout_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        max_pending_chunks: int = 50,
        vad: Callable[[], SpeechProbability] | None = None,
    ) -> None:
        self._engine, self._redact, self._clock = engine, redact, clock
        self._asr, self._idle_timeout_s = asr, idle_timeout_s
        self._max_pending = max_pending_chunks
        self._vad = vad  # factory of per-channel VAD streams; None = Silero
        self._decode = DecodeOptions.from_settings(asr)
        self.filter = HallucinationFilter(no_speech_threshold=asr.no_speech_threshold)
        self.stats = AsrStats()
        self._calls: dict[str, _Call] = {}
        self._closed: OrderedDict[str, None] = OrderedDict()  # recently finished, bounded

    @property
    def open_calls(self) -> int:
        """Calls with state in memory."""
        return len(self._calls)

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        """Take one audio chunk; return the utterances (and CallEnded) it made final."""
        chunk = incoming.message
        if not isinstance(chunk, AudioChunk):
            raise PoisonMessage(f"asr reads audio chunks, got {type(chunk).__name__}")
        if chunk.call_id in self._closed:
            self.stats.duplicates += 1
            return []
        call = self._calls.get(chunk.call_id)
        if call is None:
            call = _Call(incoming.partition, incoming.offset, self._clock(), self._new_channels())
            self._calls[chunk.call_id] = call
        call.last_seen = self._clock()
        try:
            offer = call.channels[chunk.channel].offer(
                chunk.seq, chunk.pcm, chunk.last, chunk.sample_rate
            )
        except SampleRateChanged as exc:
            raise PoisonMessage(f"{chunk.call_id}/{chunk.channel}: {exc}") from exc
        if offer is Offer.DUPLICATE:
            self.stats.duplicates += 1
        else:
            self.stats.chunks += 1
        if self._is_orphan(call, force=False):
            return self._drop_orphan(chunk.call_id)
        for speaker, stream in call.channels.items():
            call.untranscribed.extend((speaker, seg) for seg in stream.advance())
        return self._progress(chunk.call_id, call, reason="hangup")

    def tick(self, now: float) -> Sequence[Outgoing]:
        """Force-finish calls that sent nothing for `idle_timeout_s` (a lost `last` flag)."""
        out: list[Outgoing] = []
        for call_id, call in list(self._calls.items()):
            if now - call.last_seen < self._idle_timeout_s:
                continue
            if self._is_orphan(call, force=True):
                out += self._drop_orphan(call_id)
                continue
            idle = now - call.last_seen
            _log.warning("asr: call %s idle for %.0f s, finishing it", call_id, idle)
            self.stats.calls_timed_out += 1
            for speaker, stream in call.channels.items():
                call.untranscribed.extend((speaker, seg) for seg in stream.advance(force=True))
            out += self._progress(call_id, call, reason="idle_timeout")
        return out

    def safe_offset(self, partition: int) -> int | None:
        """First offset of the oldest open call on `partition` (see the module docstring)."""
        offsets = [c.first_offset for c in self._calls.values() if c.partition == partition]
        return min(offsets, default=None)

    def revoke(self, partitions: Collection[int]) -> None:
        """Forget calls of partitions this worker lost; their new owner replays them."""
        for call_id in [k for k, c in self._calls.items() if c.partition in partitions]:
            del self._calls[call_id]

    def _new_channels(self) -> dict[Speaker, ChannelStream]:
        options = vad_options(self._asr)
        return {
            s: ChannelStream(
                options, max_pending=self._max_pending, vad=self._vad() if self._vad else None
            )
            for s in _CHANNELS
        }

    def _progress(self, call_id: str, call: _Call, *, reason: str) -> list[Outgoing]:
        # Dequeue only after a transcription succeeded: if the engine raises, the runner
        # retries the chunk, which is now a duplicate, and this loop picks up where it stopped.
        while call.untranscribed:
            speaker, segment = call.untranscribed[0]
            heard = self._transcribe(speaker, segment)
            call.untranscribed.popleft()
            if heard is not None:
                call.orderer.add(speaker.value, segment.start, heard)
        horizons = {s.value: stream.horizon() for s, stream in call.channels.items()}
        ended = all(stream.flushed for stream in call.channels.values())
        ready = call.orderer.drain() if ended else call.orderer.release(horizons)
        out = [self._emit(call_id, call, heard) for heard in ready]
        if ended:
            out.append(Outgoing(Topic.TRANSCRIPTS, CallEnded(
                call_id=call_id, utterances=call.next_seq, reason=reason,
                message_id=_message_id(call_id, "ended"),
            )))
            self.stats.calls_ended += 1
            self._close(call_id)
        return out

    def _transcribe(self, speaker: Speaker, segment: SpeechSegment) -> _Heard | None:
        started = time.perf_counter()
        transcript = self.filter.clean(self._engine.transcribe(segment.audio, self._decode))
        self.stats.transcribe_s += time.perf_counter() - started
        self.stats.audio_s += len(segment.audio) / 16_000
        if not transcript.text:
            self.stats.empty += 1
            return None
        text = self._redact(transcript.text)[:4000]  # raw text ends its life here
        confidence = min(max(transcript.confidence, 0.0), 1.0)
        return _Heard(speaker, segment.start_ms, segment.end_ms, text, confidence)

    def _emit(self, call_id: str, call: _Call, heard: _Heard) -> Outgoing:
        seq, call.next_seq = call.next_seq, call.next_seq + 1
        self.stats.utterances += 1
        return Outgoing(Topic.TRANSCRIPTS, Utterance(
            call_id=call_id, seq=seq, speaker=heard.speaker, text=heard.text,
            start_ms=heard.start_ms, end_ms=heard.end_ms, confidence=heard.confidence,
            source="asr", message_id=_message_id(call_id, f"utt:{seq}"),
        ))

    def _is_orphan(self, call: _Call, *, force: bool) -> bool:
        if any(stream.started for stream in call.channels.values()):
            return False
        streams = call.channels.values()
        return any(s.would_lose_start(force=force) for s in streams) or force

    def _drop_orphan(self, call_id: str) -> list[Outgoing]:
        _log.warning("asr: call %s seen without its first chunk (replayed tail?), dropped", call_id)
        self.stats.calls_orphaned += 1
        self._close(call_id)
        return []

    def _close(self, call_id: str) -> None:
        self._calls.pop(call_id, None)
        self._closed[call_id] = None
        while len(self._closed) > 10_000:
            self._closed.popitem(last=False)


def _message_id(call_id: str, what: str) -> str:
    # Deterministic ids: a replayed call re-emits the same message ids.
    return uuid.uuid5(uuid.NAMESPACE_URL, f"kcall:asr:{call_id}:{what}").hex
