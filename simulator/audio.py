"""Speech for scripted calls: espeak-ng synthesis, two-channel call audio, PCM chunking.

espeak-ng's Korean voice is robotic and barely intelligible to Whisper base: use it for load
and latency, not for ASR accuracy (real clips live in ../shared/data/speech-ko).
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import wave
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.signal import resample_poly

from services.schemas import AudioChunk, Speaker
from simulator.scenarios import ScriptedCall
from simulator.timeline import Segment

__all__ = ["CallAudio", "EspeakMissing", "Segment", "call_audio", "chunk_audio", "synthesize"]

Pcm = npt.NDArray[np.int16]
_INSTALL_HINT = "apt-get update -qq && apt-get install -y -qq espeak-ng"
# Distinct pitches so the two sides do not sound like one speaker.
_PITCH = {Speaker.AGENT: 62, Speaker.CUSTOMER: 40}


class EspeakMissing(RuntimeError):
    """The espeak-ng binary is not installed."""


@dataclass(frozen=True)
class CallAudio:
    """A time-aligned two-channel call: equal-length PCM16 per speaker and the turn timeline."""

    sample_rate: int
    channels: dict[Speaker, Pcm]
    segments: list[Segment]

    @property
    def duration_ms(self) -> int:
        """Length of the call."""
        return len(self.channels[Speaker.CUSTOMER]) * 1000 // self.sample_rate


def synthesize(
    text: str,
    *,
    voice: str = "ko",
    rate: int = 160,
    pitch: int = 50,
    sample_rate: int = 16000,
) -> Pcm:
    """Speak `text` with espeak-ng and return mono PCM16 at `sample_rate`.

    Raises:
        EspeakMissing: espeak-ng is not on PATH.
        RuntimeError: espeak-ng failed.
    """
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise EspeakMissing(f"espeak-ng is not installed; install it with: {_INSTALL_HINT}")
    # Text goes through stdin (-b 1: UTF-8) so nothing in it is parsed as an option.
    proc = subprocess.run(
        [binary, "-v", voice, "-s", str(rate), "-p", str(pitch), "-b", "1", "--stdout"],
        input=text.encode("utf-8"),
        capture_output=True,
        check=False,
        timeout=60,
    )
    if proc.returncode != 0 or not proc.stdout:
        raise RuntimeError(f"espeak-ng failed ({proc.returncode}): {proc.stderr.decode()[:300]}")
    with wave.open(io.BytesIO(_fix_stream_wav(proc.stdout))) as wav:
        native_rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return _resample(pcm, native_rate, sample_rate)


def _fix_stream_wav(data: bytes) -> bytes:
    """espeak-ng --stdout writes 0xFFFFFFFF sizes (it cannot seek); patch them for `wave`."""
    if data[:4] != b"RIFF" or data[36:40] != b"data":
        return data
    body = len(data) - 44
    return (
        data[:4]
        + (body + 36).to_bytes(4, "little")
        + data[8:40]
        + body.to_bytes(4, "little")
        + data[44:]
    )


def _resample(pcm: Pcm, from_rate: int, to_rate: int) -> Pcm:
    if from_rate == to_rate:
        return pcm.astype(np.int16, copy=True)
    g = math.gcd(from_rate, to_rate)
    out: npt.NDArray[np.float64] = resample_poly(
        pcm.astype(np.float64), to_rate // g, from_rate // g
    )
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def call_audio(
    call: ScriptedCall,
    *,
    sample_rate: int = 16000,
    gap_ms: int = 400,
    voice: str = "ko",
    telephone: bool = False,
    seed: int = 0,
) -> CallAudio:
    """Render a call as two time-aligned channels; each side is silent while the other talks.

    Args:
        call: The scripted call.
        sample_rate: Output rate (16000 or 8000 typically); forced to 8000 when `telephone`.
        gap_ms: Silence between turns.
        voice: espeak-ng voice.
        telephone: Pass both channels through the telephone-band degradation (8 kHz, mu-law).
        seed: Seed of the line noise when `telephone` is set.
    """
    speech = [
        synthesize(t.text, voice=voice, pitch=_PITCH[t.speaker], sample_rate=sample_rate)
        for t in call.turns
    ]
    gap = sample_rate * gap_ms // 1000
    total = sum(len(s) for s in speech) + gap * (len(speech) + 1)
    channels = {speaker: np.zeros(total, dtype=np.int16) for speaker in Speaker}
    segments: list[Segment] = []
    cursor = gap
    for seq, (turn, pcm) in enumerate(zip(call.turns, speech, strict=True)):
        channels[turn.speaker][cursor : cursor + len(pcm)] = pcm
        start_ms, end_ms = cursor * 1000 // sample_rate, (cursor + len(pcm)) * 1000 // sample_rate
        segments.append(Segment(seq, turn.speaker, turn.text, start_ms, end_ms))
        cursor += len(pcm) + gap
    if telephone:
        return _telephone(channels, sample_rate, segments, seed)
    return CallAudio(sample_rate=sample_rate, channels=channels, segments=segments)


def _telephone(
    channels: dict[Speaker, Pcm], sample_rate: int, segments: list[Segment], seed: int
) -> CallAudio:
    from simulator.telephone import PHONE_RATE, degrade

    degraded: dict[Speaker, Pcm] = {}
    for i, (speaker, pcm) in enumerate(sorted(channels.items())):
        line = degrade(pcm.astype(np.float32) / 32768.0, sample_rate, seed=seed + i)
        degraded[speaker] = np.clip(np.round(line * 32767.0), -32768, 32767).astype(np.int16)
    return CallAudio(sample_rate=PHONE_RATE, channels=degraded, segments=segments)


def chunk_audio(
    call_id: str,
    channel: Speaker,
    pcm: Pcm,
    sample_rate: int,
    chunk_ms: int = 200,
) -> list[AudioChunk]:
    """Cut one channel into AudioChunk messages of `chunk_ms`; the final one has `last=True`."""
    step = max(1, sample_rate * chunk_ms // 1000)
    data = np.asarray(pcm, dtype="<i2")
    starts = range(0, max(len(data), 1), step)
    return [
        AudioChunk(
            call_id=call_id,
            seq=seq,
            channel=channel,
            sample_rate=sample_rate,
            pcm=data[start : start + step].tobytes(),
            last=seq == len(starts) - 1,
        )
        for seq, start in enumerate(starts)
    ]
