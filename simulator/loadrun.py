"""Plays planned calls through transports and scores what the system concluded.

Pure scheduling and scoring live here; the transports and the output collector do the I/O.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from services.schemas import CallInsight, DisputeDecision, Intent, Speaker
from simulator.audio import CallAudio
from simulator.collector import CallObservation
from simulator.report import CallResult
from simulator.scenarios import ScriptedCall
from simulator.timeline import Segment, text_timeline
from simulator.transcript_match import Heard, match_turns
from simulator.transports import CallTransport, send_audio, send_transcript

__all__ = [
    "AUDIO_CHUNK_MS",
    "Mode",
    "PlannedCall",
    "SentCall",
    "against_truth",
    "found_intent",
    "play_call",
    "play_calls",
    "score_call",
]

AUDIO_CHUNK_MS = 200


class Mode(StrEnum):
    """How a call enters the system."""

    AUDIO = "audio"
    KAFKA_TEXT = "kafka-text"
    HTTP_TEXT = "http-text"
    CHAT_SESSION = "chat-session"


@dataclass(frozen=True)
class PlannedCall:
    """A call, how it is sent, and when (seconds after the run starts)."""

    call: ScriptedCall
    mode: Mode
    start_at_s: float


@dataclass
class SentCall:
    """Monotonic times at which a call's events left the simulator.

    Audio calls also keep where each turn sits in the audio and when each chunk index left
    (both channels' chunk i), for utterance end → transcript.
    """

    planned: PlannedCall
    utterance_sent: dict[int, float] = field(default_factory=dict)
    ended_at: float = 0.0
    audio_s: float = 0.0
    segments: list[Segment] = field(default_factory=list)
    chunk_sent: dict[int, float] = field(default_factory=dict)


async def play_call(
    plan: PlannedCall,
    transport: CallTransport,
    *,
    render_audio: Callable[[ScriptedCall], CallAudio],
    realtime: float,
) -> SentCall:
    """Send one call now through `transport`; returns when its last event is acknowledged."""
    sent = SentCall(plan)
    call = plan.call

    def mark(seq: int) -> None:
        sent.utterance_sent[seq] = time.monotonic()

    def mark_chunk(index: int) -> None:
        sent.chunk_sent[index] = time.monotonic()

    if plan.mode is Mode.CHAT_SESSION:
        raise ValueError("chat sessions are played by simulator.chat_load, not as calls")
    if plan.mode is Mode.AUDIO:
        audio = await asyncio.to_thread(render_audio, call)
        sent.audio_s = max(len(pcm) for pcm in audio.channels.values()) / audio.sample_rate
        sent.segments = list(audio.segments)
        await send_audio(
            transport,
            call.call_id,
            call.customer_id,
            audio,
            chunk_ms=AUDIO_CHUNK_MS,
            realtime=realtime,
            on_sent=mark_chunk,
        )
    else:
        segments = text_timeline(call)
        await send_transcript(
            transport, call.call_id, call.customer_id, segments, realtime=realtime, on_sent=mark
        )
    await transport.flush()
    sent.ended_at = time.monotonic()
    return sent


async def play_calls(
    plans: Sequence[PlannedCall],
    transports: Mapping[Mode, CallTransport],
    *,
    render_audio: Callable[[ScriptedCall], CallAudio],
    realtime: float,
) -> list[SentCall]:
    """Send every planned call at its start time, concurrently; returns the send times."""
    started = time.monotonic()

    async def play(plan: PlannedCall) -> SentCall:
        await asyncio.sleep(max(0.0, started + plan.start_at_s - time.monotonic()))
        return await play_call(
            plan, transports[plan.mode], render_audio=render_audio, realtime=realtime
        )

    return list(await asyncio.gather(*(play(plan) for plan in plans)))


def found_intent(insights: Sequence[CallInsight]) -> Intent | None:
    """The first definite intent the system saw in the call (what the caller came for)."""
    ordered = sorted(insights, key=lambda insight: insight.utterance_seq)
    for insight in ordered:
        if insight.intent is not Intent.OTHER:
            return insight.intent
    return ordered[0].intent if ordered else None


def against_truth(
    planned: PlannedCall,
    insights: Sequence[CallInsight],
    decision: DisputeDecision | None,
    *,
    completed: bool,
    latencies_ms: Mapping[str, Sequence[float]] | None = None,
    model_summarized: bool = False,
) -> CallResult:
    """What the system concluded for a call beside the call's ground truth.

    `decision` is the call's last dispute decision; what only a transport measures
    (latencies, completion) is passed in.
    """
    call, truth = planned.call, planned.call.truth
    expected = truth.expected_dispute
    return CallResult(
        call_id=call.call_id,
        scenario=f"{call.scenario.value} ({planned.mode.value})",
        expected_intent=truth.primary_intent,
        found_intent=found_intent(insights),
        churn_expected=truth.churn_expected,
        churn_flagged=any(insight.churn_flag for insight in insights),
        expected_outcome=expected.outcome if expected else None,
        found_outcome=decision.outcome if decision else None,
        expected_credit_krw=expected.expected_credit_krw if expected else 0,
        found_credit_krw=decision.amount_krw if decision else 0,
        latencies_ms=latencies_ms or {},
        completed=completed,
        model_summarized=model_summarized,
    )


def score_call(sent: SentCall, seen: CallObservation) -> CallResult:
    """Compare one call's outputs with its ground truth."""
    call = sent.planned.call
    insights = [insight for insight, _ in seen.insights.values()]
    disputes = [i.dispute for i in sorted(insights, key=lambda i: i.utterance_seq) if i.dispute]
    summary = seen.summary[0] if seen.summary else None
    decision = (
        summary.dispute if summary and summary.dispute else (disputes[-1] if disputes else None)
    )
    latencies: dict[str, list[float]] = {}
    customer_seqs = {seq for seq, turn in enumerate(call.turns) if turn.speaker is Speaker.CUSTOMER}
    for seq, (_, arrived) in seen.insights.items():
        if seq in sent.utterance_sent and seq in customer_seqs:
            latencies.setdefault("utterance→insight", []).append(
                (arrived - sent.utterance_sent[seq]) * 1000
            )
    if sent.planned.mode is Mode.AUDIO:
        latencies.update(_audio_latencies(sent, seen))
    # Audio calls end when the last chunk is sent; their summary also waits for the ASR
    # stage to catch up, so they are reported apart from text calls.
    suffix = " (audio, after ASR)" if sent.planned.mode is Mode.AUDIO else ""
    if seen.summary:
        latencies[f"call end→summary{suffix}"] = [(seen.summary[1] - sent.ended_at) * 1000]
    if seen.model_summary:
        latencies["call end→model summary"] = [(seen.model_summary[1] - sent.ended_at) * 1000]
    return against_truth(
        sent.planned, insights, decision, completed=summary is not None,
        latencies_ms=latencies, model_summarized=seen.model_summary is not None,
    )


def _audio_latencies(sent: SentCall, seen: CallObservation) -> dict[str, list[float]]:
    """Utterance end → transcript per turn, and transcript → insight per customer transcript."""
    heard = [Heard(u.speaker, u.start_ms, u.end_ms, at) for u, at in seen.transcripts]
    matched = match_turns(sent.segments, heard, sent.chunk_sent, chunk_ms=AUDIO_CHUNK_MS)
    latencies = {"utterance end→transcript": matched.latencies_ms} if matched.latencies_ms else {}
    # ASR numbers its utterances itself, so an insight is matched to the transcript it read.
    transcripts = {u.seq: (u, at) for u, at in seen.transcripts}
    to_insight = [
        (arrived - transcripts[seq][1]) * 1000
        for seq, (_, arrived) in seen.insights.items()
        if seq in transcripts and transcripts[seq][0].speaker is Speaker.CUSTOMER
    ]
    if to_insight:
        latencies["transcript→insight"] = to_insight
    return latencies
