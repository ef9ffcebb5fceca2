"""Planted follow-up turns: deterministic per seed, placed before the last turn, truth sane."""

from __future__ import annotations

import datetime as dt

from services.schemas import Speaker
from simulator import generate_calls, generate_world
from simulator.followups import plant_followups

WORLD = generate_world(seed=3, customers=12, today=dt.date(2025, 11, 20))
CALLS = generate_calls(WORLD, seed=3, n=12)


def test_same_seed_same_turns_and_truth_other_seed_differs() -> None:
    first = [plant_followups(call, seed=5) for call in CALLS]
    again = [plant_followups(call, seed=5) for call in CALLS]
    other = [plant_followups(call, seed=6) for call in CALLS]
    assert first == again
    assert [p.truth for p in first] != [p.truth for p in other]


def test_planted_turns_sit_before_the_closing_turn() -> None:
    for call in CALLS:
        planted = plant_followups(call, seed=5, turns=3)
        turns, seqs = planted.call.turns, planted.truth.planted_seqs
        # Three follow-up templates and one turn that gives a number.
        assert len(turns) == len(call.turns) + 4 and len(seqs) == 4
        assert seqs == list(range(len(call.turns) - 1, len(call.turns) + 3))
        assert len(planted.truth.identifiers) == 1
        assert turns[-1] == call.turns[-1] and turns[: seqs[0]] == call.turns[:-1]
        assert {turns[s].speaker for s in seqs} <= {Speaker.AGENT, Speaker.CUSTOMER}


def test_truth_dates_are_near_the_call_and_each_duty_is_owed_by_someone() -> None:
    for call in CALLS:
        truth = plant_followups(call, seed=9, turns=7).truth
        assert len(truth.actions) == 7 and truth.amounts  # every template once
        for value in truth.dates:
            day = dt.date.fromisoformat(value[:10])
            assert -7 <= (day - truth.call_date).days <= 62
        assert len(set(truth.dates)) == len(truth.dates)
        for action in truth.actions:
            assert action.due is None or action.due in {d[:10] for d in truth.dates}
