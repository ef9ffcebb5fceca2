"""The default engine, faster-whisper (CTranslate2), and `load_engine` for the configured one."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.asr.audio import WHISPER_RATE
from services.asr.batch_decode import decode_one_window_each
from services.asr.model import ModelNotAvailable, ensure_whisper_model
from services.asr.optional_engines import OpenAIWhisperEngine, TransformersEngine
from services.asr.transcript import (
    DecodeOptions,
    EngineUnavailable,
    SpeechEngine,
    Transcript,
    TranscriptSegment,
)
from services.config import Settings

__all__ = ["BatchCounts", "FasterWhisperEngine", "load_engine"]


@functools.lru_cache(maxsize=4)
def _whisper_model(path: str, device: str, compute_type: str, threads: int) -> Any:
    # One CTranslate2 model per process and configuration: loading costs ~1 s and 150 MB.
    from faster_whisper import WhisperModel

    return WhisperModel(
        path, device=device, compute_type=compute_type, cpu_threads=threads, local_files_only=True
    )


@dataclass(slots=True)
class BatchCounts:
    """How `transcribe_batch` decoded its utterances, for metrics and benchmarks."""

    batches: int = 0  # batches decoded
    batched: int = 0  # utterances finished by their batch
    one_by_one: int = 0  # utterances decoded again alone (over 30 s, token cap, second window)


class FasterWhisperEngine(SpeechEngine):
    """faster-whisper (CTranslate2): int8 on CPU, float16 on CUDA; batches across utterances."""

    name = "faster-whisper"

    def __init__(
        self,
        model_dir: Path,
        *,
        device: str = "cpu",
        compute_type: str | None = None,
        threads: int = 2,
        batch_size: int = 8,
        window_step_s: float = 30.0,
    ) -> None:
        compute = compute_type or ("float16" if device == "cuda" else "int8")
        self._model = _whisper_model(str(model_dir), device, compute, threads)
        self.batch_size = batch_size
        self.window_step_s = window_step_s
        self.counts = BatchCounts()

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

    def transcribe_batch(
        self, audios: Sequence[NDArray[np.float32]], options: DecodeOptions
    ) -> list[Transcript]:
        """Decode utterances in fitted windows, up to `batch_size` per batch.

        See services/asr/batch_decode.py. Each result is what decoding that utterance alone
        in the same window gives (with `window_step_s=30`, what `transcribe` gives), up to
        the rounding of batched int8/float16 kernels: clear speech gets the same tokens
        (tested on the real clips); a marginal decode, such as a repetition loop on the
        edge of starting, can come out differently. An utterance the window path cannot
        reproduce (its own token cap below the batch's) is decoded alone in its window; one
        over 30 s or needing a second window is decoded by `transcribe`.
        """
        # The window path reproduces transcribe() only for a fixed language without VAD.
        reproducible = (
            options.language is not None and not options.vad_filter and bool(options.temperatures)
        )
        gains = self.window_step_s < 30.0 or (self.batch_size > 1 and len(audios) > 1)
        if not (reproducible and gains):
            return [self.transcribe(audio, options) for audio in audios]
        out: list[Transcript] = []
        for i in range(0, len(audios), self.batch_size):
            part = audios[i : i + self.batch_size]
            caps = [_token_cap(len(a) / WHISPER_RATE, options.max_tokens_per_second) for a in part]
            first = self._windowed(part, options, caps)
            self.counts.batches += 1
            for audio, cap, transcript in zip(part, caps, first, strict=True):
                if transcript is not None:
                    self.counts.batched += 1
                else:
                    self.counts.one_by_one += 1
                    if len(part) > 1:  # e.g. its token cap was below the batch's: alone it holds
                        (transcript,) = self._windowed([audio], options, [cap])
                    if transcript is None:  # over 30 s, or it needs a second window
                        transcript = self.transcribe(audio, options)
                out.append(transcript)
        return out

    def _windowed(
        self, audios: Sequence[NDArray[np.float32]], options: DecodeOptions, caps: list[int | None]
    ) -> list[Transcript | None]:
        return decode_one_window_each(
            self._model, audios, options, caps, window_step_s=self.window_step_s
        )


def _token_cap(duration_s: float, per_second: float | None) -> int | None:
    if per_second is None or duration_s > 30.0:
        return None  # several 30 s windows: the cap would apply to each one anyway
    return min(int(duration_s * per_second) + 16, 440)


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
            model_dir,
            device=asr.device,
            compute_type=compute,
            threads=asr.threads,
            batch_size=asr.batch_size,
            window_step_s=asr.window_step_s,
        )
    if not asr.model_dir:
        raise EngineUnavailable(f"engine {asr.engine!r} needs KCALL_ASR_MODEL_DIR (local weights)")
    if asr.engine == "openai-whisper":
        return OpenAIWhisperEngine(Path(asr.model_dir), device=asr.device)
    if asr.engine == "transformers":
        return TransformersEngine(Path(asr.model_dir), device=asr.device)
    raise EngineUnavailable(f"unknown ASR engine {asr.engine!r}")
