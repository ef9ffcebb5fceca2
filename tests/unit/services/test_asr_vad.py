import numpy as np
import pytest
from faster_whisper.vad import get_vad_model

from services.asr import SileroStream, SpeechSegment, UtteranceSegmenter, VadOptions

RATE = 16000


class EnergyVad:
    """A deterministic stand-in for Silero: loud windows are speech."""

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        rms = np.sqrt((windows.astype(np.float64) ** 2).mean(axis=1))
        return np.where(rms > 0.01, 0.95, 0.02).astype(np.float32)


def _options(**overrides: float) -> VadOptions:
    base = dict(
        threshold=0.5,
        min_speech_duration_ms=250,
        max_speech_duration_s=20.0,
        min_silence_duration_ms=500,
        speech_pad_ms=200,
    )
    base.update(overrides)
    return VadOptions(**base)


def _signal(layout: list[tuple[float, float]], total_s: float) -> np.ndarray:
    x = np.zeros(int(total_s * RATE), dtype=np.float32)
    for start, dur in layout:
        n = np.arange(int(dur * RATE))
        x[int(start * RATE) : int(start * RATE) + len(n)] = 0.3 * np.sin(2 * np.pi * 300 * n / RATE)
    return x


def _run(seg: UtteranceSegmenter, x: np.ndarray, chunk: int) -> list[SpeechSegment]:
    out: list[SpeechSegment] = []
    for i in range(0, len(x), chunk):
        out += seg.push(x[i : i + chunk])
    return out + seg.flush()


def _bounds(segments: list[SpeechSegment]) -> list[tuple[float, float]]:
    return [(round(s.start / RATE, 2), round(s.end / RATE, 2)) for s in segments]


def test_silence_at_least_min_silence_cuts_shorter_pause_does_not() -> None:
    # 1.0-2.0 speech, 300 ms pause, 2.3-3.0 speech, 800 ms silence, 3.8-4.5 speech
    x = _signal([(1.0, 1.0), (2.3, 0.7), (3.8, 0.7)], 6.0)
    segments = _run(UtteranceSegmenter(_options(), EnergyVad()), x, 3200)
    assert len(segments) == 2
    (s1, e1), (s2, e2) = _bounds(segments)
    assert s1 == pytest.approx(1.0, abs=0.04) and e1 == pytest.approx(3.0, abs=0.04)
    assert s2 == pytest.approx(3.8, abs=0.04) and e2 == pytest.approx(4.5, abs=0.04)
    # padded audio: 200 ms before the start, 200 ms after the end
    assert len(segments[0].audio) == pytest.approx((e1 - s1 + 0.4) * RATE, abs=600)


def test_utterance_is_released_once_the_silence_has_passed() -> None:
    seg = UtteranceSegmenter(_options(), EnergyVad())
    x = _signal([(0.5, 1.0)], 3.0)
    released_at = None
    for i in range(0, len(x), 3200):
        if seg.push(x[i : i + 3200]):
            released_at = (i + 3200) / RATE
            break
    assert released_at is not None and 2.0 <= released_at <= 2.25  # end 1.5 s + 500 ms, chunked


def test_max_utterance_forces_a_cut_at_a_short_pause() -> None:
    # 12 s of speech with a 250 ms pause at 6.0 s (too short to end it); max 8 s
    x = _signal([(0.0, 6.0), (6.25, 5.75)], 13.0)
    segments = _run(UtteranceSegmenter(_options(max_speech_duration_s=8.0), EnergyVad()), x, 3200)
    bounds = _bounds(segments)
    assert len(bounds) == 2
    assert bounds[0][1] == pytest.approx(6.0, abs=0.05)
    assert all(end - start <= 8.0 for start, end in bounds)


def test_max_utterance_hard_cut_without_pause() -> None:
    x = _signal([(0.0, 19.0)], 20.0)
    segments = _run(UtteranceSegmenter(_options(max_speech_duration_s=5.0), EnergyVad()), x, 3200)
    assert len(segments) == 4
    assert all(s.end - s.start <= 5 * RATE for s in segments)
    assert segments[1].start == segments[0].end  # no audio lost between forced cuts


def test_short_blips_are_dropped() -> None:
    x = _signal([(1.0, 0.1), (3.0, 0.1)], 5.0)
    seg = UtteranceSegmenter(_options(), EnergyVad())
    assert _run(seg, x, 3200) == []
    assert seg.dropped_short == 2


@pytest.mark.parametrize("chunk", [160, 1600, 3200, 7777])
def test_chunk_size_does_not_change_the_cut(chunk: int) -> None:
    x = _signal([(0.7, 1.3), (3.1, 0.9)], 5.0)
    reference = _bounds(_run(UtteranceSegmenter(_options(), EnergyVad()), x, 3200))
    assert _bounds(_run(UtteranceSegmenter(_options(), EnergyVad()), x, chunk)) == reference


def test_memory_stays_bounded() -> None:
    seg = UtteranceSegmenter(_options(max_speech_duration_s=5.0), EnergyVad())
    silence = np.zeros(3200, dtype=np.float32)
    for _ in range(3000):  # 10 minutes of silence
        seg.push(silence)
    assert seg.buffered_samples <= 0.2 * RATE + 512
    tone = _signal([(0.0, 0.2)], 0.2)
    peak = 0
    for _ in range(300):  # 60 s of talk without a pause
        seg.push(tone)
        peak = max(peak, seg.buffered_samples)
    assert peak <= (5.0 + 0.2 + 0.2) * RATE + 512


def test_horizon_tracks_open_utterance() -> None:
    seg = UtteranceSegmenter(_options(), EnergyVad())
    seg.push(np.zeros(RATE, dtype=np.float32))
    assert seg.horizon() == pytest.approx(RATE, abs=512)
    seg.push(_signal([(0.0, 0.5)], 0.5))
    assert seg.horizon() == pytest.approx(RATE, abs=512)  # open utterance started at 1 s
    seg.push(np.zeros(RATE, dtype=np.float32))
    assert seg.horizon() > 2 * RATE


def test_silero_stream_matches_batch_model() -> None:
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(512 * 40) * 0.05).astype(np.float32)
    x[512 * 10 : 512 * 25] += 0.3 * np.sin(2 * np.pi * 220 * np.arange(512 * 15) / RATE)
    batch = get_vad_model()(x)
    stream = SileroStream()
    streamed = np.concatenate(
        [stream(x[i : i + 512 * 7].reshape(-1, 512)) for i in range(0, len(x), 512 * 7)]
    )
    assert np.allclose(streamed, np.asarray(batch).reshape(-1), atol=1e-5)
