"""Optional engines on local weights only: openai-whisper and Hugging Face transformers."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.asr.audio import WHISPER_RATE
from services.asr.transcript import (
    DecodeOptions,
    EngineUnavailable,
    SpeechEngine,
    Transcript,
    TranscriptSegment,
)

__all__ = ["OpenAIWhisperEngine", "TransformersEngine"]


class OpenAIWhisperEngine(SpeechEngine):
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


class TransformersEngine(SpeechEngine):
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


def _optional_import(module: str, pip_name: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise EngineUnavailable(f"engine needs the optional package {pip_name!r}") from exc
