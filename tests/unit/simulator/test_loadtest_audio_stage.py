"""Utterance end → transcript: each spoken turn is matched to the ASR transcript that covers it."""

from __future__ import annotations

import pytest

from services.schemas import CallInsight, Intent, IntentTier, Speaker, Utterance
from simulator import generate_world
from simulator.collector import CallObservation
from simulator.loadrun import Mode, PlannedCall, SentCall, score_call
from simulator.loadtest import LoadMode, Shape, plan_load
from simulator.timeline import Segment
from simulator.transcript_match import Heard, match_turns

C, A = Speaker.CUSTOMER, Speaker.AGENT
# Chunk i (200 ms) left at 10 s + i * 0.2 s: real-time pacing from a start at 10 s.
SENT = {i: 10.2 + 0.2 * i for i in range(40)}


def _seg(seq: int, speaker: Speaker, start_ms: int, end_ms: int) -> Segment:
    return Segment(seq, speaker, "…", start_ms, end_ms)


def test_a_turn_counts_from_the_chunk_holding_its_end() -> None:
    # 400-1450 ms ends inside chunk 7 (1400-1600 ms), sent at 11.6 s; transcript at 12.1 s.
    match = match_turns([_seg(0, C, 400, 1450)], [Heard(C, 420, 1500, 12.1)], SENT)
    assert match.unmatched == 0
    assert match.latencies_ms == [pytest.approx(500.0)]


def test_an_end_on_a_chunk_boundary_belongs_to_the_chunk_before() -> None:
    # 1600 ms is the end of chunk 7, not the start of chunk 8.
    match = match_turns([_seg(0, C, 400, 1600)], [Heard(C, 400, 1600, 11.9)], SENT)
    assert match.latencies_ms == [pytest.approx(300.0)]


def test_a_turn_cut_in_two_waits_for_its_last_piece_and_channels_do_not_mix() -> None:
    segments = [_seg(0, C, 0, 3000), _seg(1, A, 3400, 4000)]
    heard = [Heard(C, 0, 1500, 11.0), Heard(C, 1500, 3000, 13.5), Heard(C, 3400, 4000, 99.0)]
    match = match_turns(segments, heard, SENT)
    # Customer: chunk 14 (2800-3000 ms) sent at 13.0 s, last piece at 13.5 s. The agent's
    # turn has no agent-channel transcript (the customer one at the same time is not it).
    assert match.latencies_ms == [pytest.approx(500.0)]
    assert match.unmatched == 1


def test_a_trimmed_tail_counts_from_the_heard_end_never_before_the_audio() -> None:
    # The ASR heard only 0-1000 ms of a 0-2000 ms turn: its transcript can only follow chunk 4
    # (800-1000 ms, sent at 11.0 s), not chunk 9 (sent at 12.0 s, after the transcript).
    match = match_turns([_seg(0, C, 0, 2000)], [Heard(C, 0, 1000, 11.3)], SENT)
    assert match.latencies_ms == [pytest.approx(300.0)]


def test_nothing_sent_or_nothing_heard_is_unmatched() -> None:
    assert match_turns([_seg(0, C, 0, 500)], [], SENT).unmatched == 1
    assert match_turns([_seg(0, C, 0, 500)], [Heard(C, 0, 500, 1.0)], {}).unmatched == 1


def _utterance(call_id: str, seq: int, speaker: Speaker, start_ms: int, end_ms: int) -> Utterance:
    return Utterance(call_id=call_id, seq=seq, speaker=speaker, text="네", start_ms=start_ms,
                     end_ms=end_ms, confidence=0.9, source="asr")  # fmt: skip


def test_an_audio_call_reports_end_to_transcript_and_transcript_to_insight() -> None:
    world = generate_world(seed=7, customers=10)
    plan: PlannedCall = plan_load(world, rate=1.0, duration_s=5.0, shape=Shape.POISSON,
                                  mode=LoadMode.AUDIO, seed=2,
                                  auto_credit_limit_krw=30_000)[0]  # fmt: skip
    assert plan.mode is Mode.AUDIO
    cid = plan.call.call_id
    sent = SentCall(plan, ended_at=20.0, segments=[_seg(0, A, 0, 1000), _seg(1, C, 1400, 2600)],
                    chunk_sent=SENT)  # fmt: skip
    # The ASR numbers its own utterances: seq 0 is the agent, seq 1 the customer.
    seen = CallObservation(transcripts=[(_utterance(cid, 0, A, 0, 1000), 11.5),
                                        (_utterance(cid, 1, C, 1400, 2600), 13.0)])  # fmt: skip
    seen.insights[1] = (CallInsight(call_id=cid, utterance_seq=1, intent=Intent.ROAMING,
                                    intent_confidence=0.9, intent_tier=IntentTier.FAST,
                                    churn_score=0.1, churn_flag=False), 13.25)  # fmt: skip
    latencies = score_call(sent, seen).latencies_ms
    # Agent turn: chunk 4 at 11.0 s -> 11.5 s; customer turn: chunk 12 at 12.6 s -> 13.0 s.
    assert list(latencies["utterance end→transcript"]) == pytest.approx([500.0, 400.0])
    assert list(latencies["transcript→insight"]) == pytest.approx([250.0])
    assert "utterance→insight" not in latencies
