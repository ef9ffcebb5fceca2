"""Whisper ASR: model assembly, engines, audio, streaming VAD, ordering, hallucination filter."""

from services.asr.audio import (
    WHISPER_RATE,
    StreamingResampler,
    float_to_pcm16,
    pcm16_to_float,
    read_wav,
    resample,
)
from services.asr.engine import BatchCounts, FasterWhisperEngine, load_engine
from services.asr.hallucination import KNOWN_PHRASES, DropCounter, HallucinationFilter
from services.asr.model import ModelNotAvailable, ensure_whisper_model, whisper_model_dir
from services.asr.optional_engines import OpenAIWhisperEngine, TransformersEngine
from services.asr.ordering import UtteranceOrderer
from services.asr.sequencer import ChunkSequencer, Offer, SequencedChunk
from services.asr.stream import ChannelStream, SampleRateChanged
from services.asr.transcript import (
    DecodeOptions,
    EngineUnavailable,
    SpeechEngine,
    Transcript,
    TranscriptSegment,
)
from services.asr.vad import (
    SileroStream,
    SpeechProbability,
    SpeechSegment,
    UtteranceSegmenter,
    VadOptions,
    vad_options,
)

__all__ = [
    "KNOWN_PHRASES",
    "WHISPER_RATE",
    "BatchCounts",
    "ChannelStream",
    "ChunkSequencer",
    "DecodeOptions",
    "DropCounter",
    "EngineUnavailable",
    "FasterWhisperEngine",
    "HallucinationFilter",
    "ModelNotAvailable",
    "Offer",
    "OpenAIWhisperEngine",
    "SampleRateChanged",
    "SequencedChunk",
    "SileroStream",
    "SpeechEngine",
    "SpeechProbability",
    "SpeechSegment",
    "StreamingResampler",
    "Transcript",
    "TranscriptSegment",
    "TransformersEngine",
    "UtteranceOrderer",
    "UtteranceSegmenter",
    "VadOptions",
    "ensure_whisper_model",
    "float_to_pcm16",
    "load_engine",
    "pcm16_to_float",
    "read_wav",
    "resample",
    "vad_options",
    "whisper_model_dir",
]
