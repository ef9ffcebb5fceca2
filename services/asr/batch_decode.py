"""Several short utterances through one CTranslate2 encode and one greedy generate call.

faster-whisper's own `BatchedInferencePipeline` batches the 30 s windows of ONE audio and
decodes without timestamps and without the temperature fallback, so its text differs from
`WhisperModel.transcribe`. This module reproduces `transcribe`'s first window exactly (same
features, prompt, suppression, timestamp rules, no-speech skip) for a stack of utterances
from different calls, and hands back `None` for any utterance where `transcribe` would have
done more than that first greedy pass (temperature fallback, a token cap hit, a second
window): the caller decodes those one by one, so every result equals the unbatched one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.asr.transcript import DecodeOptions, Transcript, TranscriptSegment

__all__ = ["decode_first_windows"]

_WINDOW_FRAMES = 3000  # Whisper's encoder always sees 30 s of 10 ms mel frames
_MAX_INITIAL_TIMESTAMP_S = 1.0  # faster-whisper's default


def decode_first_windows(
    model: Any,
    audios: Sequence[NDArray[np.float32]],
    options: DecodeOptions,
    token_caps: Sequence[int | None],
) -> list[Transcript | None]:
    """Decode utterances as one batch; None where one-by-one decoding is needed.

    Args:
        model: A loaded `faster_whisper.WhisperModel`.
        audios: 16 kHz mono float32 utterances; those over 30 s come back None undecoded.
        options: Decode options; `language` must be set (no per-item detection here).
        token_caps: Per utterance, the `max_new_tokens` the one-by-one path would use.
    """
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import get_suppressed_tokens

    tokenizer = Tokenizer(
        model.hf_tokenizer, model.model.is_multilingual, task="transcribe",
        language=options.language,
    )  # fmt: skip
    out: list[Transcript | None] = [None] * len(audios)
    batch: list[int] = []  # indexes of utterances that fit one window
    frames: list[int] = []
    windows: list[NDArray[np.float32]] = []
    for index, audio in enumerate(audios):
        features = model.feature_extractor(audio)
        content = features.shape[-1] - 1
        if content > _WINDOW_FRAMES:
            continue  # several windows: left to the one-by-one path
        batch.append(index)
        frames.append(content)
        windows.append(pad_or_trim(features[:, :content]))
    if not batch:
        return out
    previous = (
        tokenizer.encode(" " + options.initial_prompt.strip())
        if options.initial_prompt is not None
        else []
    )
    prompt = model.get_prompt(tokenizer, previous, without_timestamps=False)
    room = model.max_length - len(prompt)
    caps = [min(room, token_caps[i]) if token_caps[i] is not None else room for i in batch]
    results = model.model.generate(
        model.encode(np.stack(windows)),
        [list(prompt) for _ in batch],
        beam_size=options.beam_size,
        patience=1.0,
        length_penalty=1.0,
        repetition_penalty=1.0,
        no_repeat_ngram_size=0,
        max_length=len(prompt) + max(caps),
        return_scores=True,
        return_no_speech_prob=True,
        suppress_blank=True,
        suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
        max_initial_timestamp_index=round(_MAX_INITIAL_TIMESTAMP_S / model.time_precision),
    )
    for index, size, cap, result in zip(batch, frames, caps, results, strict=True):
        out[index] = _first_window(model, tokenizer, options, result, size, cap, len(audios[index]))
    return out


def _first_window(
    model: Any, tokenizer: Any, options: DecodeOptions, result: Any, size: int, cap: int,
    samples: int,
) -> Transcript | None:
    """transcribe()'s handling of one greedy result, or None where it would decode again."""
    from faster_whisper.transcribe import get_compression_ratio

    tokens: list[int] = result.sequences_ids[0]
    avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
    ratio = get_compression_ratio(tokenizer.decode(tokens).strip())
    silent = result.no_speech_prob > options.no_speech_threshold
    unsure = avg_logprob < options.log_prob_threshold
    retry = (ratio > options.compression_ratio_threshold or unsure) and not (silent and unsure)
    if retry or len(tokens) >= cap:
        return None  # transcribe() retries at a higher temperature, or stopped at its own cap
    duration = samples / model.feature_extractor.sampling_rate
    if silent and avg_logprob <= options.log_prob_threshold:
        return Transcript((), options.language or "", duration)  # transcribe()'s no-speech skip
    pieces, seek, _ = model._split_segments_by_timestamps(  # private, but exactly its split
        tokenizer=tokenizer, tokens=tokens, time_offset=0.0, segment_size=size,
        segment_duration=size * model.feature_extractor.time_per_frame, seek=0,
    )  # fmt: skip
    if seek < size:
        return None  # transcribe() decodes the rest of the audio in a second window
    segments = tuple(
        TranscriptSegment(p["start"], p["end"], text, avg_logprob, result.no_speech_prob, ratio)
        for p in pieces
        if (text := tokenizer.decode(p["tokens"])).strip() and p["start"] != p["end"]
    )
    return Transcript(segments, options.language or "", duration)
