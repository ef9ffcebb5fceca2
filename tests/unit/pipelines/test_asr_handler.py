from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from pipelines.asr import AsrHandler
from pipelines.stage import Incoming, Outgoing, PoisonMessage
from services.asr import DecodeOptions, SpeechEngine, Transcript, TranscriptSegment
from services.config import AsrSettings
from services.schemas import AudioChunk, CallEnded, CallStarted, Speaker, Topic, Utterance

RATE = 8000
CHUNK = RATE // 5  # 200 ms


class EnergyVad:
    def __call__(self, windows: np.ndarray) -> np.ndarray:
        rms = np.sqrt((windows.astype(np.float64) ** 2).mean(axis=1))
        return np.where(rms > 0.01, 0.95, 0.02).astype(np.float32)


class ToneEngine(SpeechEngine):
    """Names the dominant frequency it hears, so tests can tell utterances apart."""

    name = "tone"

    def __init__(self) -> None:
        self.calls = 0
        self.fail_next = False
        self.fail_hz: set[int] = set()  # tones that always fail
        self.reply: dict[int, str] = {}
        self.batches: list[list[str]] = []  # what each transcribe_batch call heard

    def transcribe_batch(
        self, audios: Sequence[np.ndarray], options: DecodeOptions
    ) -> list[Transcript]:
        self.batches.append([f"{_tone(a)}헤르츠" for a in audios])
        return super().transcribe_batch(audios, options)

    def transcribe(self, audio: np.ndarray, options: DecodeOptions) -> Transcript:
        self.calls += 1
        hz = _tone(audio)
        if self.fail_next or hz in self.fail_hz:
            self.fail_next = False
            raise RuntimeError("engine fell over")
        text = self.reply.get(hz, f"{hz}헤르츠")
        return Transcript(
            (TranscriptSegment(0.0, 1.0, text, -0.2, 0.01),), "ko", len(audio) / 16000
        )


def _tone(audio: np.ndarray) -> int:
    spectrum = np.abs(np.fft.rfft(audio))
    return int(round(np.fft.rfftfreq(len(audio), 1 / 16000)[np.argmax(spectrum)] / 50) * 50)


def _channel(layout: list[tuple[float, float, int]], total_s: float) -> bytes:
    x = np.zeros(int(total_s * RATE))
    for start, dur, hz in layout:
        n = np.arange(int(dur * RATE))
        x[int(start * RATE) : int(start * RATE) + len(n)] = 0.3 * np.sin(2 * np.pi * hz * n / RATE)
    return (x * 32767).astype("<i2").tobytes()


def _chunks(call_id: str, channel: Speaker, pcm: bytes) -> list[AudioChunk]:
    step = CHUNK * 2
    parts = [pcm[i : i + step] for i in range(0, len(pcm), step)]
    return [
        AudioChunk(
            call_id=call_id,
            seq=i,
            channel=channel,
            sample_rate=RATE,
            pcm=p,
            last=i == len(parts) - 1,
        )
        for i, p in enumerate(parts)
    ]


def _interleave(*streams: list[AudioChunk]) -> list[AudioChunk]:
    out: list[AudioChunk] = []
    for i in range(max(len(s) for s in streams)):
        out += [s[i] for s in streams if i < len(s)]
    return out


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _handler(engine: ToneEngine | None = None, **kwargs: object) -> AsrHandler:
    return AsrHandler(
        engine or ToneEngine(),
        lambda text: (text.replace("1234", "[번호]"), []),
        AsrSettings(),
        vad=EnergyVad,
        **kwargs,  # type: ignore[arg-type]
    )


def _feed(
    handler: AsrHandler,
    chunks: list[AudioChunk],
    partition: int = 0,
    first_offset: int = 0,
    *,
    poll: int = 1,
    now: float = 0.0,
) -> list[Outgoing]:
    """Like the runner: handle each record of a poll batch of `poll` records, then tick."""
    out: list[Outgoing] = []
    for offset, chunk in enumerate(chunks, first_offset):
        out += handler.handle(Incoming(chunk, partition, offset))
        if (offset - first_offset + 1) % poll == 0 or offset - first_offset == len(chunks) - 1:
            out += handler.tick(now)
    return out


def _utterances(out: Sequence[Outgoing]) -> list[Utterance]:
    return [o.message for o in out if isinstance(o.message, Utterance)]


# customer speaks at 0.5 s and 4.5 s, the agent at 2.5 s (overlapping the customer's pause)
CUSTOMER = [(0.5, 1.0, 400), (4.5, 1.0, 600)]
AGENT = [(2.5, 1.2, 1000)]


def test_two_channels_come_out_in_start_order_with_one_seq() -> None:
    handler = _handler()
    out = _feed(
        handler,
        _interleave(
            _chunks("c1", Speaker.CUSTOMER, _channel(CUSTOMER, 7.0)),
            _chunks("c1", Speaker.AGENT, _channel(AGENT, 7.0)),
        ),
    )
    utts = _utterances(out)
    assert [(u.seq, u.speaker, u.text) for u in utts] == [
        (0, Speaker.CUSTOMER, "400헤르츠"),
        (1, Speaker.AGENT, "1000헤르츠"),
        (2, Speaker.CUSTOMER, "600헤르츠"),
    ]
    assert [u.start_ms for u in utts] == pytest.approx([500, 2500, 4500], abs=40)
    assert utts[1].end_ms == pytest.approx(3700, abs=40)
    assert all(u.source == "asr" and 0 < u.confidence <= 1 for u in utts)
    assert all(o.topic is Topic.TRANSCRIPTS for o in out)
    assert isinstance(out[-1].message, CallEnded) and out[-1].message.utterances == 3
    assert handler.open_calls == 0


def test_an_utterance_waits_until_the_other_channel_passes_its_start() -> None:
    handler = _handler()
    customer = _chunks("c2", Speaker.CUSTOMER, _channel([(0.5, 1.0, 400)], 4.0))
    agent = _chunks("c2", Speaker.AGENT, _channel([(0.2, 0.5, 1000)], 4.0))
    assert _utterances(_feed(handler, customer[:15])) == []  # agent audio not here yet
    out = _utterances(_feed(handler, agent[:15], first_offset=100))
    assert [u.text for u in out] == ["1000헤르츠", "400헤르츠"]


def test_redelivered_and_out_of_order_chunks() -> None:
    handler = _handler()
    customer = _chunks("c3", Speaker.CUSTOMER, _channel(CUSTOMER, 7.0))
    agent = _chunks("c3", Speaker.AGENT, _channel(AGENT, 7.0))
    shuffled = customer[:5] + [customer[7], customer[5], customer[6]] + customer[3:6] + customer[8:]
    out = _feed(handler, _interleave(shuffled, agent, agent[:10]))
    assert [u.text for u in _utterances(out)] == ["400헤르츠", "1000헤르츠", "600헤르츠"]
    assert handler.stats.duplicates == 3 + 10
    assert sum(isinstance(o.message, CallEnded) for o in out) == 1
    assert _feed(handler, customer[:3]) == []  # after the end: ignored


def test_pii_is_redacted_and_hallucinations_are_dropped() -> None:
    engine = ToneEngine()
    engine.reply = {400: "제 번호는 1234예요", 600: "시청해주셔서 감사합니다"}
    handler = _handler(engine)
    out = _feed(
        handler,
        _interleave(
            _chunks("c4", Speaker.CUSTOMER, _channel(CUSTOMER, 7.0)),
            _chunks("c4", Speaker.AGENT, _channel([], 7.0)),
        ),
    )
    assert [u.text for u in _utterances(out)] == ["제 번호는 [번호]예요"]
    assert out[-1].message.utterances == 1  # type: ignore[union-attr]
    assert handler.filter.counter.dropped["known_phrase"] == 1


def test_safe_offset_holds_the_oldest_open_call() -> None:
    handler = _handler()
    a = _chunks("a", Speaker.CUSTOMER, _channel(CUSTOMER, 7.0))
    b = _chunks("b", Speaker.CUSTOMER, _channel(CUSTOMER, 7.0))
    assert handler.safe_offset(0) is None
    _feed(handler, a[:3], first_offset=10)
    _feed(handler, b[:3], first_offset=20)
    c = _chunks("c", Speaker.AGENT, _channel(AGENT, 7.0))
    _feed(handler, c[:2], partition=1, first_offset=5)
    assert handler.safe_offset(0) == 10 and handler.safe_offset(1) == 5
    handler.revoke([0])
    assert handler.safe_offset(0) is None and handler.safe_offset(1) == 5


def test_idle_call_is_flushed_by_tick() -> None:
    clock = Clock()
    handler = _handler(clock=clock, idle_timeout_s=30.0)
    customer = _chunks("c5", Speaker.CUSTOMER, _channel([(0.5, 3.0, 400)], 3.6))
    out = _feed(handler, customer[:-1])  # the `last` chunk never comes, nor the agent
    assert _utterances(out) == []
    clock.now = 20.0
    assert handler.tick(clock.now) == []
    clock.now = 31.0
    out = list(handler.tick(clock.now))
    assert [u.text for u in _utterances(out)] == ["400헤르츠"]
    assert isinstance(out[-1].message, CallEnded) and out[-1].message.reason == "idle_timeout"
    assert handler.open_calls == 0 and handler.safe_offset(0) is None


def _at(chunks: list[AudioChunk], start: datetime) -> list[AudioChunk]:
    """The chunks as produced in real time from `start` (200 ms each)."""
    return [c.model_copy(update={"occurred_at": start + timedelta(seconds=0.2 * i)})
            for i, c in enumerate(chunks)]


T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_a_worker_behind_its_partition_does_not_end_a_call_whose_chunks_still_queue() -> None:
    """A backlog: handling other calls' queued chunks takes 40 s of wall time, more than the
    idle timeout, while the call's own next chunks still wait behind them in the partition."""
    clock = Clock()
    handler = _handler(clock=clock, idle_timeout_s=30.0)
    slow = _interleave(
        _at(_chunks("slow", Speaker.CUSTOMER, _channel([(0.5, 1.0, 400)], 3.0)), T0),
        _at(_chunks("slow", Speaker.AGENT, _channel([(1.8, 0.8, 1000)], 3.0)), T0),
    )
    other = _at(_chunks("other", Speaker.CUSTOMER, _channel([(0.5, 1.0, 600)], 3.0)), T0)
    out = _feed(handler, slow[:6])
    for offset, chunk in enumerate(other[:-1], 6):  # 2.5 s of wall time per chunk
        clock.now += 2.5
        out += handler.handle(Incoming(chunk, 0, offset))
        out += handler.tick(clock.now)
    assert clock.now > 30.0
    assert not any(isinstance(o.message, CallEnded) and o.message.call_id == "slow" for o in out)
    out += _feed(handler, slow[6:], first_offset=20, now=clock.now)
    ended = [o.message for o in out if isinstance(o.message, CallEnded)]
    assert [(e.call_id, e.reason) for e in ended] == [("slow", "hangup")]
    assert "400헤르츠" in [u.text for u in _utterances(out) if u.call_id == "slow"]


class SlowEngine(ToneEngine):
    """Takes `seconds` of the test's clock per batch, as Whisper does on a loaded machine."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        super().__init__()
        self.clock, self.seconds = clock, seconds

    def transcribe_batch(
        self, audios: Sequence[np.ndarray], options: DecodeOptions
    ) -> list[Transcript]:
        self.clock.now += self.seconds
        return super().transcribe_batch(audios, options)


def test_a_transcription_longer_than_the_timeout_is_not_silence_on_other_partitions() -> None:
    """A 40 s batch for one call: another partition's call, whose next chunks were not read
    while the engine ran, must not be ended as idle (its speech would be dropped)."""
    clock = Clock()
    handler = _handler(SlowEngine(clock, 40.0), clock=clock, idle_timeout_s=30.0)
    def call(call_id: str, hz: int) -> list[AudioChunk]:
        return _interleave(
            _at(_chunks(call_id, Speaker.CUSTOMER, _channel([(0.5, 1.0, hz)], 3.0)), T0),
            _at(_chunks(call_id, Speaker.AGENT, _channel([], 3.0)), T0),
        )

    speaker, waiting = call("speaks", 400), call("waits", 600)
    out = _feed(handler, waiting[:6], partition=1)
    out += _feed(handler, speaker[:-1], partition=0)  # its utterance is cut: a 40 s batch
    assert clock.now == 40.0
    out += _feed(handler, speaker[-1:], partition=0, first_offset=30, now=clock.now)
    assert not any(isinstance(o.message, CallEnded) and o.message.call_id == "waits" for o in out)
    out += _feed(handler, waiting[6:], partition=1, first_offset=6, now=clock.now)
    ended = [o.message for o in out if isinstance(o.message, CallEnded)]
    assert sorted((e.call_id, e.reason) for e in ended) == [
        ("speaks", "hangup"), ("waits", "hangup")]
    assert "600헤르츠" in [u.text for u in _utterances(out) if u.call_id == "waits"]


def test_a_call_the_partition_moved_past_is_ended_though_the_partition_stays_busy() -> None:
    clock = Clock()
    handler = _handler(clock=clock, idle_timeout_s=30.0)
    lost = _at(_chunks("lost", Speaker.CUSTOMER, _channel([(0.5, 1.0, 400)], 3.0)), T0)
    later = _at(_chunks("later", Speaker.CUSTOMER, _channel([(0.5, 1.0, 600)], 9.0)),
                T0 + timedelta(seconds=31))
    out = _feed(handler, lost[:-1])  # its `last` chunk never comes
    for offset, chunk in enumerate(later[:-1], 20):  # the partition stays busy
        clock.now += 1.0
        out += handler.handle(Incoming(chunk, 0, offset))
        out += handler.tick(clock.now)
    ended = [o.message for o in out if isinstance(o.message, CallEnded)]
    assert [(e.call_id, e.reason) for e in ended] == [("lost", "idle_timeout")]


def test_tail_of_a_finished_call_replayed_without_its_start_is_dropped() -> None:
    clock = Clock()
    handler = _handler(clock=clock, max_pending_chunks=5)
    customer = _chunks("old", Speaker.CUSTOMER, _channel(CUSTOMER, 7.0))
    assert _feed(handler, customer[20:]) == []
    assert handler.open_calls == 0 and handler.stats.calls_orphaned == 1
    handler2 = _handler(clock=clock)
    _feed(handler2, customer[30:32])
    clock.now = 100.0
    assert handler2.tick(clock.now) == [] and handler2.open_calls == 0


def test_engine_failure_is_retried_without_losing_the_utterance() -> None:
    engine = ToneEngine()
    handler = _handler(engine)
    chunks = _interleave(
        _chunks("c6", Speaker.CUSTOMER, _channel(CUSTOMER, 7.0)),
        _chunks("c6", Speaker.AGENT, _channel([], 7.0)),
    )
    engine.fail_next = True
    out = _feed(handler, chunks)
    assert _utterances(out) == []  # the first utterance waits for its retry; order holds
    assert handler.tick(0.9) == []  # backing off
    out = list(handler.tick(1.0))
    assert [u.text for u in _utterances(out)] == ["400헤르츠", "600헤르츠"]
    assert isinstance(out[-1].message, CallEnded) and handler.stats.failed == 0


def test_a_failed_batch_is_retried_one_by_one_at_once() -> None:
    engine = ToneEngine()
    handler = _handler(engine)
    engine.fail_next = True  # the batch fails in its first utterance; alone, all succeed
    out = _feed(handler, _four_calls()["b3"], poll=1000)
    assert [u.text for u in _utterances(out)] == ["550헤르츠", "1150헤르츠", "750헤르츠"]
    assert handler.stats.batches == 1 and engine.calls == 1 + 3


def test_bad_input_is_poison() -> None:
    handler = _handler()
    with pytest.raises(PoisonMessage):
        handler.handle(Incoming(CallStarted(call_id="x", customer_id="c"), 0, 0))
    first = AudioChunk(call_id="x", seq=0, channel=Speaker.AGENT, sample_rate=8000, pcm=b"\0\0")
    handler.handle(Incoming(first, 0, 1))
    changed = first.model_copy(update={"seq": 1, "sample_rate": 16000})
    with pytest.raises(PoisonMessage):
        handler.handle(Incoming(changed, 0, 2))


def _steps(*calls: list[AudioChunk]) -> list[AudioChunk]:
    """Chunk k of every call in one poll batch, like real-time traffic of parallel calls."""
    return _interleave(*calls)


def _four_calls() -> dict[str, list[AudioChunk]]:
    tones = [(400, 1000, 600), (450, 1050, 650), (500, 1100, 700), (550, 1150, 750)]
    calls = {}
    for i, (first, agent, second) in enumerate(tones):
        customer = [(0.5, 1.0, first), (4.5, 1.0, second)]
        calls[f"b{i}"] = _interleave(
            _chunks(f"b{i}", Speaker.CUSTOMER, _channel(customer, 7.0)),
            _chunks(f"b{i}", Speaker.AGENT, _channel([(2.5, 1.2, agent)], 7.0)),
        )
    return calls


def _per_call(out: Sequence[Outgoing]) -> dict[str, list[tuple[int, Speaker, str]]]:
    result: dict[str, list[tuple[int, Speaker, str]]] = {}
    for u in _utterances(out):
        result.setdefault(u.call_id, []).append((u.seq, u.speaker, u.text))
    return result


def test_utterances_of_parallel_calls_are_transcribed_as_one_batch() -> None:
    calls = _four_calls()
    alone = ToneEngine()
    one_by_one = _per_call(_feed(_handler(alone), _steps(*calls.values())))
    engine = ToneEngine()
    handler = _handler(engine)
    out = _feed(handler, _steps(*calls.values()), poll=2 * len(calls))  # one 200 ms step a poll
    assert _per_call(out) == one_by_one  # same texts, speakers and seq per call
    assert one_by_one["b2"] == [
        (0, Speaker.CUSTOMER, "500헤르츠"),
        (1, Speaker.AGENT, "1100헤르츠"),
        (2, Speaker.CUSTOMER, "700헤르츠"),
    ]
    assert max(len(batch) for batch in alone.batches) == 1
    assert ["400헤르츠", "450헤르츠", "500헤르츠", "550헤르츠"] in engine.batches
    assert ["1000헤르츠", "1050헤르츠", "1100헤르츠", "1150헤르츠"] in engine.batches
    assert handler.stats.batches == len(engine.batches) < alone.calls
    assert handler.stats.batched_utterances == engine.calls == 12
    ended = [o.message for o in out if isinstance(o.message, CallEnded)]
    assert sorted(e.call_id for e in ended) == sorted(calls) and handler.open_calls == 0


def test_one_call_in_one_batch_keeps_its_order_and_seq() -> None:
    engine = ToneEngine()
    handler = _handler(engine)
    chunks = _four_calls()["b0"]
    out = _feed(handler, chunks, poll=len(chunks))  # the whole call in one poll batch
    assert engine.batches == [["400헤르츠", "1000헤르츠", "600헤르츠"]]
    assert [(u.seq, u.text) for u in _utterances(out)] == [
        (0, "400헤르츠"), (1, "1000헤르츠"), (2, "600헤르츠"),
    ]  # fmt: skip
    assert isinstance(out[-1].message, CallEnded) and out[-1].message.utterances == 3


def test_a_finished_call_stays_open_until_tick_transcribes_it() -> None:
    engine = ToneEngine()
    handler = _handler(engine)
    chunks = _four_calls()["b1"]
    out: list[Outgoing] = []
    for offset, chunk in enumerate(chunks, 40):
        out += handler.handle(Incoming(chunk, 0, offset))
    assert out == [] and engine.calls == 0  # handle never calls the engine
    assert handler.waiting_utterances == 3 and handler.safe_offset(0) == 40
    out = list(handler.tick(0.0))
    assert [u.text for u in _utterances(out)] == ["450헤르츠", "1050헤르츠", "650헤르츠"]
    assert handler.safe_offset(0) is None and handler.open_calls == 0


def test_an_utterance_that_keeps_failing_is_retried_with_backoff_then_dropped() -> None:
    clock = Clock()
    engine = ToneEngine()
    engine.fail_hz = {1000}
    handler = _handler(engine, clock=clock, max_attempts=3, retry_backoff_s=1.0)
    calls = _four_calls()
    out = _feed(handler, _steps(calls["b0"], calls["b1"]), poll=4)
    # b1 is unaffected; b0 waits at its failing agent utterance (order must hold)
    assert [u.text for u in _utterances(out) if u.call_id == "b1"] == [
        "450헤르츠", "1050헤르츠", "650헤르츠",
    ]  # fmt: skip
    assert [u.text for u in _utterances(out) if u.call_id == "b0"] == ["400헤르츠"]
    assert handler.open_calls == 1 and handler.safe_offset(0) == 0
    batches = handler.stats.batches
    assert handler.tick(0.5) == [] and handler.stats.batches == batches  # backing off 1 s
    assert handler.tick(1.0) == [] and handler.stats.batches == batches + 1  # 2nd failure
    assert handler.tick(2.9) == [] and handler.stats.batches == batches + 1  # backing off 2 s
    out = list(handler.tick(3.0))  # third failure: dropped, the call goes on without it
    assert [u.text for u in _utterances(out)] == ["600헤르츠"]
    assert [u.seq for u in _utterances(out)] == [1]
    assert isinstance(out[-1].message, CallEnded) and out[-1].message.utterances == 2
    assert handler.stats.failed == 1 and handler.open_calls == 0
