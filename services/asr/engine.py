"""Speech engines behind one Protocol: faster-whisper (default), openai-whisper, transformers."""

from __future__ import annotations

import functools
import importlib
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from services.asr.audio import WHISPER_RATE
from services.asr.model import ModelNotAvailable, ensure_whisper_model
from services.config import AsrSettings, Settings

__all__ = [
    "DecodeOptions",
    "EngineUnavailable",
    "FasterWhisperEngine",
    "OpenAIWhisperEngine",
    "SpeechEngine",
    "Transcript",
    "TranscriptSegment",
    "TransformersEngine",
    "load_engine",
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
    """Turns 16 kHz mono float32 audio into a transcript (blocking; call from a worker thread)."""

    name: str

    def transcribe(self, audio: NDArray[np.float32], options: DecodeOptions) -> Transcript:
        """Transcribe one utterance or file."""
        ...


@functools.lru_cache(maxsize=4)
def _whisper_model(path: str, device: str, compute_type: str, threads: int) -> Any:
    # One CTranslate2 model per process and configuration: loading costs ~1 s and 150 MB.
    from faster_whisper import WhisperModel

    return WhisperModel(
        path, device=device, compute_type=compute_type, cpu_threads=threads, local_files_only=True
    )


class FasterWhisperEngine:
    """faster-whisper (CTranslate2): int8 on CPU, float16 on CUDA."""

    name = "faster-whisper"

    def __init__(
        self,
        model_dir: Path,
        *,
        device: str = "cpu",
        compute_type: str | None = None,
        threads: int = 2,
    ) -> None:
        compute = compute_type or ("float16" if device == "cuda" else "int8")
        self._model = _whisper_model(str(model_dir), device, compute, threads)

    def transcribe(self, audio: NDArray[np.float32], options: DecodeOptions) -> Transcript:
        """Decode, consuming faster-whisper's lazy segment generator inside this thread."""
        segments, info = self._model.transcribe(
            audio,
            language=options.language,
            beam_size=options.beam_size,
            best_of=max(options.beam_size, 1),
            temperature=list(options.temperatures),
            compression_ratio_threshold=options.compression_ratio_threshold,
            log_prob_threshold=options.log_prob_threshold,
            no_speech_threshold=options.no_speech_threshold,
            condition_on_previous_text=False,  # stops one hallucination from seeding the next
            initial_prompt=options.initial_prompt,
            vad_filter=options.vad_filter,
            max_new_tokens=_token_cap(len(audio) / WHISPER_RATE, options.max_tokens_per_second),
        )
        decoded = tuple(
            TranscriptSegment(
                s.start, s.end, s.text, s.avg_logprob, s.no_speech_prob, s.compression_ratio
            )
            for s in segments  # the decoding work happens during this iteration
        )
        return Transcript(decoded, info.language, info.duration)


class OpenAIWhisperEngine:
    """The reference openai-whisper package on a local .pt checkpoint (optional)."""

    name = "openai-whisper"

    def __init__(self, checkpoint: Path, *, device: str = "cpu") -> None:
        whisper = _optional_import("whisper", "openai-whisper")
        if not checkpoint.is_file():
            raise EngineUnavailable(f"openai-whisper needs a local .pt file, not {checkpoint}")
        self._model = whisper.load_model(str(checkpoint), device=device)
        self._fp16 = device == "cuda"
        self._lock = threading.Lock()  # torch modules are not safe to share across threads

    def transcribe(self, audio: NDArray[np.float32], options: DecodeOptions) -> Transcript:
        """Decode one piece of audio."""
        with self._lock:
            result = self._model.transcribe(
                audio,
                language=options.language,
                beam_size=options.beam_size if options.beam_size > 1 else None,
                temperature=options.temperatures,
                compression_ratio_threshold=options.compression_ratio_threshold,
                logprob_threshold=options.log_prob_threshold,
                no_speech_threshold=options.no_speech_threshold,
                condition_on_previous_text=False,
                initial_prompt=options.initial_prompt,
                fp16=self._fp16,
            )
        segments = tuple(
            TranscriptSegment(
                float(s["start"]), float(s["end"]), str(s["text"]), float(s["avg_logprob"]),
                float(s["no_speech_prob"]), float(s["compression_ratio"]),
            )
            for s in result["segments"]
        )
        return Transcript(segments, str(result.get("language") or ""), len(audio) / WHISPER_RATE)


class TransformersEngine:
    """Hugging Face transformers Whisper on a local model directory (optional).

    The pipeline exposes no log-probabilities, so confidence reads as 1.0 and the
    no-speech check falls to the VAD and the phrase filter.
    """

    name = "transformers"

    def __init__(self, model_dir: Path, *, device: str = "cpu") -> None:
        transformers = _optional_import("transformers", "transformers")
        if not (model_dir / "config.json").is_file():
            raise EngineUnavailable(f"transformers needs a local model dir, not {model_dir}")
        self._pipe = transformers.pipeline(
            "automatic-speech-recognition", model=str(model_dir), device=device,
            model_kwargs={"local_files_only": True},
        )
        self._lock = threading.Lock()

    def transcribe(self, audio: NDArray[np.float32], options: DecodeOptions) -> Transcript:
        """Decode one piece of audio."""
        generate: dict[str, Any] = {"task": "transcribe", "num_beams": options.beam_size}
        if options.language:
            generate["language"] = options.language
        with self._lock:
            out = self._pipe(
                {"raw": audio, "sampling_rate": WHISPER_RATE},
                return_timestamps=True, generate_kwargs=generate,
            )
        duration = len(audio) / WHISPER_RATE
        chunks: Sequence[dict[str, Any]] = out.get("chunks") or [
            {"timestamp": (0.0, duration), "text": out["text"]}
        ]
        segments = tuple(
            TranscriptSegment(
                float(c["timestamp"][0] or 0.0), float(c["timestamp"][1] or duration),
                str(c["text"]), 0.0, 0.0,
            )
            for c in chunks
        )
        return Transcript(segments, options.language or "", duration)


def _token_cap(duration_s: float, per_second: float | None) -> int | None:
    if per_second is None or duration_s > 30.0:
        return None  # several 30 s windows: the cap would apply to each one anyway
    return min(int(duration_s * per_second) + 16, 440)


def _optional_import(module: str, pip_name: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise EngineUnavailable(f"engine needs the optional package {pip_name!r}") from exc


def load_engine(settings: Settings) -> SpeechEngine:
    """Build the configured engine on local weights; never downloads.

    Raises:
        EngineUnavailable: unknown engine name, or its package or weights are missing.
    """
    asr = settings.asr
    if asr.engine == "faster-whisper":
        try:
            model_dir = ensure_whisper_model(settings)
        except ModelNotAvailable as exc:
            raise EngineUnavailable(str(exc)) from exc
        compute = asr.compute_type
        if asr.device == "cuda" and compute == "int8":
            compute = "float16"  # the setting's default is the CPU one
        return FasterWhisperEngine(
            model_dir, device=asr.device, compute_type=compute, threads=asr.threads
        )
    if not asr.model_dir:
        raise EngineUnavailable(f"engine {asr.engine!r} needs KCALL_ASR_MODEL_DIR (local weights)")
    if asr.engine == "openai-whisper":
        return OpenAIWhisperEngine(Path(asr.model_dir), device=asr.device)
    if asr.engine == "transformers":
        return TransformersEngine(Path(asr.model_dir), device=asr.device)
    raise EngineUnavailable(f"unknown ASR engine {asr.engine!r}")
