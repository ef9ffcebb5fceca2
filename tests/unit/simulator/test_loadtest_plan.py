"""Load plans repeat per seed, the scheduler keeps its times under a slow system (open loop)."""

from __future__ import annotations

import asyncio
import time

import pytest

from simulator import generate_world
from simulator.loadrun import Mode, PlannedCall, SentCall
from simulator.loadtest import Dispatch, LoadMode, Shape, arrival_times, plan_load, run_open_loop

WORLD = generate_world(seed=7, customers=30)


def _plan(seed: int, **overrides: object) -> list[PlannedCall]:
    options: dict[str, object] = {
        "rate": 2.0, "duration_s": 30.0, "shape": Shape.POISSON, "mode": LoadMode.MIXED,
        "seed": seed, "auto_credit_limit_krw": 30_000, **overrides,
    }  # fmt: skip
    return plan_load(WORLD, **options)  # type: ignore[arg-type]


def _fingerprint(plans: list[PlannedCall]) -> list[tuple[object, ...]]:
    return [(p.call.call_id, p.start_at_s, p.mode, p.call.scenario, p.call.turns, p.call.truth)
            for p in plans]  # fmt: skip


@pytest.mark.parametrize("shape", list(Shape))
def test_the_same_seed_plans_the_same_calls_at_the_same_times(shape: Shape) -> None:
    first, again = _plan(11, shape=shape), _plan(11, shape=shape)
    assert first and _fingerprint(first) == _fingerprint(again)
    assert _fingerprint(_plan(12, shape=shape)) != _fingerprint(first)


def test_arrivals_stay_inside_the_run_and_in_order() -> None:
    for shape in Shape:
        times = arrival_times(shape, 3.0, 40.0, seed=5)
        assert times == sorted(times)
        assert all(0 <= t < 40.0 for t in times)


def test_a_burst_packs_more_calls_into_its_window_than_the_same_span_outside() -> None:
    times = arrival_times(Shape.BURST, 2.0, 200.0, seed=3)
    inside = sum(80 <= t < 100 for t in times)  # the burst: 40 % to 50 % of the run
    before = sum(20 <= t < 40 for t in times)
    assert inside > 2 * before


def test_single_modes_use_one_transport_and_mixed_uses_several() -> None:
    assert {p.mode for p in _plan(3, mode=LoadMode.TEXT)} == {Mode.KAFKA_TEXT}
    assert {p.mode for p in _plan(3, mode=LoadMode.HTTP)} == {Mode.HTTP_TEXT}
    assert {p.mode for p in _plan(3, mode=LoadMode.CHAT)} == {Mode.CHAT_SESSION}
    assert {p.mode for p in _plan(3, mode=LoadMode.AUDIO)} == {Mode.AUDIO}
    assert len({p.mode for p in _plan(3, rate=5.0)}) >= 2


def test_call_ids_carry_the_prefix_so_ramp_steps_never_collide() -> None:
    a, b = _plan(3, call_id_prefix="ramp0"), _plan(4, call_id_prefix="ramp1")
    assert not {p.call.call_id for p in a} & {p.call.call_id for p in b}


def test_sends_start_on_schedule_while_every_earlier_call_is_still_in_flight() -> None:
    plans = [PlannedCall(p.call, p.mode, round(i * 0.2, 3))
             for i, p in enumerate(_plan(1, rate=5.0)[:10])]  # fmt: skip

    async def scenario() -> list[Dispatch]:
        release = asyncio.Event()
        in_flight: list[int] = []

        async def slow_send(plan: PlannedCall) -> SentCall:
            in_flight.append(1)
            # A system that answers nothing until the whole schedule has been offered:
            # a closed loop would stall on the first call forever.
            await release.wait()
            return SentCall(plan, ended_at=time.monotonic())

        def dispatched(_plan: PlannedCall) -> None:
            if len(in_flight) + 1 >= len(plans):
                release.set()

        return await asyncio.wait_for(
            run_open_loop(plans, slow_send, on_dispatch=dispatched), timeout=120
        )

    dispatches = asyncio.run(scenario())
    assert [d.plan for d in dispatches] == plans
    assert all(d.sent is not None and d.error is None for d in dispatches)
    # Generous bound (a starved CI machine): the schedule spans 1.8 s and the system under
    # test answered nothing during it, so any closed-loop wait would show as unbounded slip.
    assert max(d.slip_s for d in dispatches) < 5.0
    assert all(d.sent_at_s >= d.plan.start_at_s - 1e-6 for d in dispatches)


def test_a_failing_send_is_recorded_and_the_run_goes_on() -> None:
    plans = _plan(2, rate=5.0)[:4]

    async def flaky(plan: PlannedCall) -> SentCall:
        if plan is plans[1]:
            raise ConnectionError("api down")
        return SentCall(plan)

    shifted = [PlannedCall(p.call, p.mode, 0.0) for p in plans]
    plans[:] = shifted
    dispatches = asyncio.run(run_open_loop(plans, flaky))
    errors = [d for d in dispatches if d.error]
    assert len(errors) == 1 and "api down" in (errors[0].error or "")
    assert sum(d.sent is not None for d in dispatches) == 3
