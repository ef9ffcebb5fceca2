"""The ASR stage: call audio chunks in, redacted utterances in one order per call out.

Offsets: a call's utterance `seq` numbers are only reproducible when its audio replays from
the call's first chunk, so `safe_offset` holds each partition at the first offset of its
oldest open call. After a crash the open calls replay whole and re-emit the same
(call_id, seq) pairs, which downstream dedupes. A call seen without its start (the replayed
tail of a call that already ended) is recognised and dropped without output.

Batching: `handle` never calls the engine; `tick` (after every poll) decodes all the
utterances the poll batch finished, of every call, in one `transcribe_batch`. An utterance
the engine fails on stays in its place (its call's later utterances wait behind it) and is
retried with backoff, alone, and dropped with an error after `max_attempts`.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

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
    Transcript,
    UtteranceOrderer,
    vad_options,
)
from services.config import AsrSettings
from services.schemas import (
    AudioChunk,
    CallEnded,
    Redactor,
    SealedIdentifier,
    Speaker,
    Topic,
    Utterance,
)

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
    failed: int = 0  # utterances dropped after `max_attempts` engine failures
    calls_ended: int = 0
    calls_timed_out: int = 0
    calls_orphaned: int = 0
    batches: int = 0  # transcribe_batch calls
    batched_utterances: int = 0  # utterances that went through them
    audio_s: float = 0.0
    transcribe_s: float = 0.0


@dataclass(frozen=True, slots=True)
class _Heard:
    speaker: Speaker
    start_ms: int
    end_ms: int
    text: str  # already redacted
    confidence: float
    identifiers: tuple[SealedIdentifier, ...]  # behind the text's placeholders


@dataclass(slots=True, eq=False)
class _Cut:
    """A finished utterance waiting for the engine."""

    speaker: Speaker
    segment: SpeechSegment
    attempts: int = 0
    retry_at: float = -math.inf


@dataclass(slots=True)
class _Call:
    partition: int
    first_offset: int
    last_seen: float
    channels: dict[Speaker, ChannelStream]
    last_event: datetime | None = None  # newest occurred_at of its chunks
    untranscribed: list[_Cut] = field(default_factory=list)
    orderer: UtteranceOrderer[_Heard] = field(
        default_factory=lambda: UtteranceOrderer([s.value for s in _CHANNELS])
    )
    next_seq: int = 0
    end_reason: str = "hangup"

    def cut(self, *, force: bool) -> None:
        for speaker, stream in self.channels.items():
            self.untranscribed += (_Cut(speaker, seg) for seg in stream.advance(force=force))


class AsrHandler:
    """StageHandler for `calls.audio.v1` -> `calls.transcripts.v1`.

    `handle` only sequences and cuts audio; `tick`, which the runner calls after every poll,
    transcribes every utterance all calls finished in that poll batch with ONE
    `transcribe_batch` call, then releases each call's utterances in order. Calls with
    utterances waiting stay open, so `safe_offset` covers them until they are out.
    """

    name = "asr"
    sources: tuple[Topic, ...] = (Topic.AUDIO,)

    def __init__(
        self,
        engine: SpeechEngine,
        redact: Redactor,
        asr: AsrSettings,
        *,
        idle_timeout_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        max_pending_chunks: int = 50,
        vad: Callable[[], SpeechProbability] | None = None,
        max_attempts: int = 5,
        retry_backoff_s: float = 1.0,
    ) -> None:
        self._engine, self._redact, self._clock = engine, redact, clock
        self._asr, self._idle_timeout_s = asr, idle_timeout_s
        self._max_pending = max_pending_chunks
        self._vad = vad  # factory of per-channel VAD streams; None = Silero
        self._decode = DecodeOptions.from_settings(asr)
        self._max_attempts, self._backoff_s = max_attempts, retry_backoff_s
        self.filter = HallucinationFilter(no_speech_threshold=asr.no_speech_threshold)
        self.stats = AsrStats()
        self._calls: dict[str, _Call] = {}
        self._closed: OrderedDict[str, None] = OrderedDict()  # recently finished, bounded
        # Per partition: the newest chunk time seen, and when a chunk was last handled.
        self._watermark: dict[int, datetime] = {}
        self._partition_seen: dict[int, float] = {}
        # Wall time spent inside the engine: no partition is read meanwhile, so it must not
        # count as silence on any of them (idle times are measured on the free clock).
        self._busy_s = 0.0

    @property
    def open_calls(self) -> int:
        """Calls with state in memory."""
        return len(self._calls)

    @property
    def waiting_utterances(self) -> int:
        """Finished utterances not yet transcribed (the next `tick` takes them)."""
        return sum(len(call.untranscribed) for call in self._calls.values())

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        """Take one audio chunk; return what it made final without the engine (see `tick`)."""
        chunk = incoming.message
        if not isinstance(chunk, AudioChunk):
            raise PoisonMessage(f"asr reads audio chunks, got {type(chunk).__name__}")
        if chunk.call_id in self._closed:
            self.stats.duplicates += 1
            return []
        call = self._calls.get(chunk.call_id)
        if call is None:
            call = _Call(incoming.partition, incoming.offset, self._free(), self._new_channels())
            self._calls[chunk.call_id] = call
        call.last_seen = self._partition_seen[incoming.partition] = self._free()
        call.last_event = _later(call.last_event, chunk.occurred_at)
        self._watermark[incoming.partition] = _later(
            self._watermark.get(incoming.partition), chunk.occurred_at
        )
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
        call.cut(force=False)
        if call.untranscribed:
            return []  # transcribed in tick(), batched with the other calls' utterances
        return self._release(chunk.call_id, call)

    def tick(self, now: float) -> Sequence[Outgoing]:
        """Transcribe the utterances `handle` cut, as one batch, and release them in order.

        Also force-finishes calls that went quiet for `idle_timeout_s` (a lost `last` flag).
        """
        out: list[Outgoing] = []
        for call_id, call in list(self._calls.items()):
            if not self._idle(call, now):
                continue
            if all(stream.flushed for stream in call.channels.values()):
                continue  # already finished; only its utterances wait for the engine
            if self._is_orphan(call, force=True):
                out += self._drop_orphan(call_id)
                continue
            idle = now - self._busy_s - call.last_seen
            _log.warning("asr: call %s idle for %.0f s, finishing it", call_id, idle)
            self.stats.calls_timed_out += 1
            call.end_reason = "idle_timeout"
            call.cut(force=True)
            if not call.untranscribed:
                out += self._release(call_id, call)
        return out + self._transcribe_waiting(now)

    def _idle(self, call: _Call, now: float) -> bool:
        """Whether the call went quiet: its stream moved on without it, or fell silent.

        Wall time alone is wrong for a worker with a backlog: handling other calls' queued
        chunks can take longer than the timeout while this call's next chunk still waits
        in the partition, and finishing the call then drops that speech. So a call is idle
        when the partition's chunks are `idle_timeout_s` newer (event time) than its own,
        or when nothing at all came on its partition for that long (the worker is caught
        up there, so no chunk of the call is waiting). Both sides of the event-time test
        also need the wall-time gap, so producer clock skew alone never ends a live call.
        Wall time here leaves out the time spent transcribing: a batch that takes longer
        than the timeout on a loaded machine is not silence on every partition.
        """
        timeout = self._idle_timeout_s
        now -= self._busy_s
        if now - call.last_seen < timeout:
            return False
        if now - self._partition_seen.get(call.partition, call.last_seen) >= timeout:
            return True
        watermark = self._watermark.get(call.partition)
        if watermark is None or call.last_event is None:
            return False
        return (watermark - call.last_event).total_seconds() >= timeout

    def safe_offset(self, partition: int) -> int | None:
        """First offset of the oldest open call on `partition` (see the module docstring)."""
        offsets = [c.first_offset for c in self._calls.values() if c.partition == partition]
        return min(offsets, default=None)

    def revoke(self, partitions: Collection[int]) -> None:
        """Forget calls of partitions this worker lost; their new owner replays them."""
        for call_id in [k for k, c in self._calls.items() if c.partition in partitions]:
            del self._calls[call_id]
        for partition in partitions:
            self._watermark.pop(partition, None)
            self._partition_seen.pop(partition, None)

    def _new_channels(self) -> dict[Speaker, ChannelStream]:
        options = vad_options(self._asr)
        return {
            s: ChannelStream(
                options, max_pending=self._max_pending, vad=self._vad() if self._vad else None
            )
            for s in _CHANNELS
        }

    def _transcribe_waiting(self, now: float) -> list[Outgoing]:
        waiting = [(cid, call) for cid, call in self._calls.items() if call.untranscribed]
        cuts = [(c, cut) for _, c in waiting for cut in c.untranscribed if cut.retry_at <= now]
        if not cuts:
            return []
        results = self._run_engine([cut.segment.audio for _, cut in cuts])
        finished: set[int] = set()
        for (call, cut), result in zip(cuts, results, strict=True):
            if isinstance(result, Exception):
                cut.attempts += 1
                if cut.attempts < self._max_attempts:
                    # kept in place, so the call's order holds; other calls go on meanwhile
                    cut.retry_at = now + min(self._backoff_s * 2 ** (cut.attempts - 1), 30.0)
                    continue
                _log.error("asr: utterance dropped after %d engine failures: %r",
                           cut.attempts, result)  # fmt: skip
                self.stats.failed += 1
            elif (heard := self._heard(cut, result)) is not None:
                call.orderer.add(cut.speaker.value, cut.segment.start, heard)
            finished.add(id(cut))
        out: list[Outgoing] = []
        for call_id, call in waiting:
            call.untranscribed = [c for c in call.untranscribed if id(c) not in finished]
            if not call.untranscribed:
                out += self._release(call_id, call)
        return out

    def _free(self) -> float:
        """The clock less the time spent in the engine (see `_idle`)."""
        return self._clock() - self._busy_s

    def _run_engine(self, audios: list[NDArray[np.float32]]) -> list[Transcript | Exception]:
        """One batch; if it fails, each utterance alone, so one bad utterance fails alone."""
        busy_from = self._clock()
        started = time.perf_counter()
        self.stats.batches += 1
        self.stats.batched_utterances += len(audios)
        results: list[Transcript | Exception]
        try:
            results = list(self._engine.transcribe_batch(audios, self._decode))
        except Exception as exc:
            if len(audios) == 1:
                results = [exc]
            else:
                _log.warning("asr: batch of %d failed, retrying one by one: %r", len(audios), exc)
                results = [self._one(audio) for audio in audios]
        self.stats.transcribe_s += time.perf_counter() - started
        self._busy_s += max(0.0, self._clock() - busy_from)
        return results

    def _one(self, audio: NDArray[np.float32]) -> Transcript | Exception:
        try:
            return self._engine.transcribe(audio, self._decode)
        except Exception as exc:  # noqa: BLE001 - kept as the utterance's result, retried later
            return exc

    def _release(self, call_id: str, call: _Call) -> list[Outgoing]:
        """Emit what the orderer made final; end the call once every channel has ended."""
        horizons = {s.value: stream.horizon() for s, stream in call.channels.items()}
        ended = all(stream.flushed for stream in call.channels.values())
        ready = call.orderer.drain() if ended else call.orderer.release(horizons)
        out = [self._emit(call_id, call, heard) for heard in ready]
        if ended:
            out.append(Outgoing(Topic.TRANSCRIPTS, CallEnded(
                call_id=call_id, utterances=call.next_seq, reason=call.end_reason,
                message_id=_message_id(call_id, "ended"),
            )))
            self.stats.calls_ended += 1
            self._close(call_id)
        return out

    def _heard(self, cut: _Cut, transcript: Transcript) -> _Heard | None:
        self.stats.audio_s += len(cut.segment.audio) / 16_000
        transcript = self.filter.clean(transcript)
        if not transcript.text:
            self.stats.empty += 1
            return None
        text, identifiers = self._redact(transcript.text)  # raw text ends its life here
        confidence = min(max(transcript.confidence, 0.0), 1.0)
        return _Heard(cut.speaker, cut.segment.start_ms, cut.segment.end_ms, text[:4000],
                      confidence, tuple(identifiers))

    def _emit(self, call_id: str, call: _Call, heard: _Heard) -> Outgoing:
        seq, call.next_seq = call.next_seq, call.next_seq + 1
        self.stats.utterances += 1
        return Outgoing(Topic.TRANSCRIPTS, Utterance(
            call_id=call_id, seq=seq, speaker=heard.speaker, text=heard.text,
            start_ms=heard.start_ms, end_ms=heard.end_ms, confidence=heard.confidence,
            source="asr", identifiers=list(heard.identifiers),
            message_id=_message_id(call_id, f"utt:{seq}"),
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


def _later(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current
