from collections.abc import Sequence

import numpy as np
import pytest

from pipelines.asr import AsrHandler
from pipelines.stage import Incoming, Outgoing, PoisonMessage
from services.asr import DecodeOptions, Transcript, TranscriptSegment
from services.config import AsrSettings
from services.schemas import AudioChunk, CallEnded, CallStarted, Speaker, Topic, Utterance

RATE = 8000
CHUNK = RATE // 5  # 200 ms


class EnergyVad:
    def __call__(self, windows: np.ndarray) -> np.ndarray:
        rms = np.sqrt((windows.astype(np.float64) ** 2).mean(axis=1))
        return np.where(rms > 0.01, 0.95, 0.02).astype(np.float32)


class ToneEngine:
    """Names the dominant frequency it hears, so tests can tell utterances apart."""

    name = "tone"

    def __init__(self) -> None:
        self.calls = 0
        self.fail_next = False
        self.reply: dict[int, str] = {}

    def transcribe(self, audio: np.ndarray, options: DecodeOptions) -> Transcript:
        self.calls += 1
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("engine fell over")
        spectrum = np.abs(np.fft.rfft(audio))
        hz = int(round(np.fft.rfftfreq(len(audio), 1 / 16000)[np.argmax(spectrum)] / 50) * 50)
        text = self.reply.get(hz, f"{hz}헤르츠")
        return Transcript(
            (TranscriptSegment(0.0, 1.0, text, -0.2, 0.01),), "ko", len(audio) / 16000
        )


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
        lambda text: text.replace("1234", "[번호]"),
        AsrSettings(),
        vad=EnergyVad,
        **kwargs,  # type: ignore[arg-type]
    )


def _feed(
    handler: AsrHandler, chunks: list[AudioChunk], partition: int = 0, first_offset: int = 0
) -> list[Outgoing]:
    out: list[Outgoing] = []
    for offset, chunk in enumerate(chunks, first_offset):
        out += handler.handle(Incoming(chunk, partition, offset))
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
    out: list[Outgoing] = []
    for offset, chunk in enumerate(chunks):
        try:
            out += handler.handle(Incoming(chunk, 0, offset))
        except RuntimeError:
            out += handler.handle(Incoming(chunk, 0, offset))  # the runner's retry
    assert [u.text for u in _utterances(out)] == ["400헤르츠", "600헤르츠"]


def test_bad_input_is_poison() -> None:
    handler = _handler()
    with pytest.raises(PoisonMessage):
        handler.handle(Incoming(CallStarted(call_id="x", customer_id="c"), 0, 0))
    first = AudioChunk(call_id="x", seq=0, channel=Speaker.AGENT, sample_rate=8000, pcm=b"\0\0")
    handler.handle(Incoming(first, 0, 1))
    changed = first.model_copy(update={"seq": 1, "sample_rate": 16000})
    with pytest.raises(PoisonMessage):
        handler.handle(Incoming(changed, 0, 2))
