"""Short utterances decoded in encoder windows fitted to them, several together per `generate`.

faster-whisper's `BatchedInferencePipeline` batches the 30 s windows of ONE audio and decodes
without timestamps and without the temperature fallback, so its text differs from
`WhisperModel.transcribe`. This module reproduces `transcribe` on one window (same features,
prompt, token suppression, temperature ladder, no-speech skip, timestamp split) for a stack
of utterances of different calls, and returns None for an utterance where `transcribe`
would do something a batch cannot (a second window, a token cap below the batch's).

Window fitting: Whisper pads every input to a 30 s window, so a 3 s utterance pays for 30 s
of encoder (whisper.cpp's `audio_ctx` is the same idea). Here an utterance gets the shortest
window, a multiple of `window_step_s`, that holds it plus `_WINDOW_MARGIN_S` of silence;
`window_step_s=30` is Whisper's fixed window. The encoder's cost falls faster than linearly
(self-attention); what it costs in accuracy is measured by `bench/asr_window.py`.

Utterances are batched with others of the same window length only, so each one's text is
what it gets alone (up to the rounding of batched kernels, which can tip a marginal
decode). The encoder runs as one batch on GPU. On CPU it runs one window at a
time: it is compute bound there, and a batch of 30 s windows only adds attention memory
(measured slower on 2 cores); the decoder still gains from batching, and a temperature
retry reuses the kept encoder output instead of encoding again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.asr.transcript import DecodeOptions, Transcript, TranscriptSegment

__all__ = ["decode_one_window_each"]

_WINDOW_FRAMES = 3000  # Whisper's encoder was trained on 30 s of 10 ms mel frames
_FRAMES_PER_S = 100
_WINDOW_MARGIN_S = 1.0  # silence after the speech, so the decoder sees the utterance end
_MAX_INITIAL_TIMESTAMP_S = 1.0  # faster-whisper's default


@dataclass(frozen=True, slots=True)
class _Attempt:
    tokens: list[int]
    avg_logprob: float
    compression_ratio: float
    no_speech_prob: float

    def needs_retry(self, options: DecodeOptions) -> bool:
        # generate_with_fallback's rule: repetitive or unsure, unless it is simply silence
        unsure = self.avg_logprob < options.log_prob_threshold
        silent = self.no_speech_prob > options.no_speech_threshold
        loops = self.compression_ratio > options.compression_ratio_threshold
        return (loops or unsure) and not (silent and unsure)


def decode_one_window_each(
    model: Any,
    audios: Sequence[NDArray[np.float32]],
    options: DecodeOptions,
    token_caps: Sequence[int | None],
    *,
    window_step_s: float = 30.0,
) -> list[Transcript | None]:
    """Decode utterances together; None where one-by-one `transcribe` is needed.

    Args:
        model: A loaded `faster_whisper.WhisperModel`.
        audios: 16 kHz mono float32 utterances; those over 30 s come back None undecoded.
        options: Decode options; `language` must be set (no per-item detection here).
        token_caps: Per utterance, the `max_new_tokens` the one-by-one path would use.
        window_step_s: Encoder windows are multiples of this (30 = Whisper's fixed window).
    """
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer

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
        windows.append(pad_or_trim(features[:, :content], fitted_window(content, window_step_s)))
    if not batch:
        return out
    previous = (
        tokenizer.encode(" " + options.initial_prompt.strip())
        if options.initial_prompt is not None
        else []
    )
    prompt = model.get_prompt(tokenizer, previous, without_timestamps=False)
    room = model.max_length - len(prompt)
    by_window: dict[int, list[int]] = {}  # window length -> positions in `batch`
    for position, window in enumerate(windows):
        by_window.setdefault(window.shape[-1], []).append(position)
    for positions in by_window.values():
        caps = [
            min(room, cap) if (cap := token_caps[batch[p]]) is not None else room for p in positions
        ]
        encoder = _encoder(model, [windows[p] for p in positions])
        attempts = _temperature_ladder(model, tokenizer, options, prompt, caps, encoder)
        for position, chosen in zip(positions, attempts, strict=True):
            if chosen is not None:
                index = batch[position]
                seconds = len(audios[index]) / model.feature_extractor.sampling_rate
                out[index] = _split(model, tokenizer, options, chosen, frames[position], seconds)
    return out


def fitted_window(frames: int, step_s: float) -> int:
    """Mel frames of the encoder window for an utterance of `frames` frames (see module doc)."""
    step = max(round(step_s * _FRAMES_PER_S), 1)
    wanted = frames + round(_WINDOW_MARGIN_S * _FRAMES_PER_S)
    return min(-(-wanted // step) * step, _WINDOW_FRAMES)


def _encoder(model: Any, windows: list[NDArray[np.float32]]) -> Callable[[list[int]], Any]:
    """Encoder outputs of chosen windows as one StorageView (see the module docstring)."""
    import ctranslate2

    if model.model.device != "cpu":
        return lambda picked: model.encode(np.stack([windows[i] for i in picked]))
    kept: dict[int, NDArray[np.float32]] = {}

    def outputs(picked: list[int]) -> Any:
        for i in picked:
            if i not in kept:
                kept[i] = np.array(model.encode(windows[i][None]))  # CPU: a plain float32 copy
        return ctranslate2.StorageView.from_array(np.concatenate([kept[i] for i in picked]))

    return outputs


def _temperature_ladder(
    model: Any,
    tokenizer: Any,
    options: DecodeOptions,
    prompt: list[int],
    caps: list[int],
    encoder: Callable[[list[int]], Any],
) -> list[_Attempt | None]:
    """generate_with_fallback over a batch: each temperature decodes only what still needs it."""
    from faster_whisper.transcribe import get_compression_ratio, get_suppressed_tokens

    tried: list[list[_Attempt]] = [[] for _ in caps]
    capped: set[int] = set()
    pending = list(range(len(caps)))
    for temperature in options.temperatures:
        if not pending:
            break
        limit = max(caps[i] for i in pending)
        if temperature > 0:
            kind: dict[str, Any] = {
                "beam_size": 1,
                "num_hypotheses": max(options.beam_size, 1),
                "sampling_topk": 0,
                "sampling_temperature": temperature,
            }
        else:
            kind = {"beam_size": options.beam_size, "patience": 1.0}
        results = model.model.generate(
            encoder(pending), [list(prompt) for _ in pending], length_penalty=1.0,
            repetition_penalty=1.0, no_repeat_ngram_size=0, max_length=len(prompt) + limit,
            return_scores=True, return_no_speech_prob=True, suppress_blank=True,
            suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
            max_initial_timestamp_index=round(_MAX_INITIAL_TIMESTAMP_S / model.time_precision),
            **kind,
        )  # fmt: skip
        still: list[int] = []
        for i, result in zip(pending, results, strict=True):
            tokens: list[int] = result.sequences_ids[0]
            if len(tokens) >= caps[i] and caps[i] < limit:
                capped.add(i)  # alone it would have stopped at its own cap: not reproducible
                continue
            attempt = _Attempt(
                tokens, result.scores[0] * len(tokens) / (len(tokens) + 1),
                get_compression_ratio(tokenizer.decode(tokens).strip()), result.no_speech_prob,
            )  # fmt: skip
            tried[i].append(attempt)
            if attempt.needs_retry(options):
                still.append(i)
        pending = still
    chosen: list[_Attempt | None] = []
    for i, attempts in enumerate(tried):
        if i in capped:
            chosen.append(None)
        elif i in pending:  # every temperature failed: the most probable, preferring no loop
            fine = [
                a for a in attempts if a.compression_ratio <= options.compression_ratio_threshold
            ]
            chosen.append(max(fine or attempts, key=lambda a: a.avg_logprob))
        else:
            chosen.append(attempts[-1])
    return chosen


def _split(
    model: Any,
    tokenizer: Any,
    options: DecodeOptions,
    attempt: _Attempt,
    size: int,
    seconds: float,
) -> Transcript | None:
    """transcribe()'s no-speech skip and timestamp split of one window's tokens."""
    language = options.language or ""
    nsp = attempt.no_speech_prob
    if nsp > options.no_speech_threshold and attempt.avg_logprob <= options.log_prob_threshold:
        return Transcript((), language, seconds)  # the window is skipped as silence
    pieces, seek, _ = model._split_segments_by_timestamps(  # private, but exactly its split
        tokenizer=tokenizer, tokens=attempt.tokens, time_offset=0.0, segment_size=size,
        segment_duration=size * model.feature_extractor.time_per_frame, seek=0,
    )  # fmt: skip
    if seek < size:
        return None  # transcribe() would decode the rest of the audio in a second window
    segments = tuple(
        TranscriptSegment(
            p["start"], p["end"], text, attempt.avg_logprob, nsp, attempt.compression_ratio
        )
        for p in pieces
        if (text := tokenizer.decode(p["tokens"])).strip() and p["start"] != p["end"]
    )
    return Transcript(segments, language, seconds)
