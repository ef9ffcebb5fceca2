"""Open-loop load: seeded plans of calls at a rate and a shape, and a scheduler that never waits.

An open-loop generator sends each call at its planned time whatever the system does with the
earlier ones (a closed loop would slow down with the system and hide its overload). The
scheduler records when each call actually left, so a report can show the arrival slip.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from simulator.loadrun import Mode, PlannedCall, SentCall
from simulator.scripts import generate_calls
from simulator.traffic import burst_arrivals, diurnal_arrivals, poisson_arrivals
from simulator.world import SyntheticWorld

__all__ = [
    "Dispatch",
    "LoadMode",
    "Shape",
    "arrival_times",
    "plan_load",
    "run_open_loop",
]


class Shape(StrEnum):
    """How arrivals spread over the run."""

    POISSON = "poisson"
    BURST = "burst"
    DIURNAL = "diurnal"


class LoadMode(StrEnum):
    """How load enters.

    Transcripts on Kafka, audio through ASR, call ingestion through the HTTP API, the
    assistant's chat sessions on the API, or a mix of the three call modes.
    """

    TEXT = "text"
    AUDIO = "audio"
    HTTP = "http"
    CHAT = "chat"
    MIXED = "mixed"


_SINGLE = {
    LoadMode.TEXT: Mode.KAFKA_TEXT,
    LoadMode.AUDIO: Mode.AUDIO,
    LoadMode.HTTP: Mode.HTTP_TEXT,
    LoadMode.CHAT: Mode.CHAT_SESSION,
}
# A mixed run leans on text: audio through Whisper costs seconds of CPU per call.
_MIX_MODES = (Mode.KAFKA_TEXT, Mode.HTTP_TEXT, Mode.AUDIO)
_MIX_WEIGHTS = (0.7, 0.2, 0.1)


def arrival_times(shape: Shape, rate: float, duration_s: float, *, seed: int) -> list[float]:
    """Arrival offsets (s) of a run at `rate` calls/s.

    `rate` is the mean for poisson, the base for burst (one burst at four times it over a
    tenth of the run, from 40 %) and the peak for diurnal (a day compressed into the run).
    """
    if shape is Shape.POISSON:
        return poisson_arrivals(rate, duration_s, seed=seed)
    if shape is Shape.BURST:
        burst = (0.4 * duration_s, 0.1 * duration_s)
        return burst_arrivals(rate, 4 * rate, duration_s, bursts=[burst], seed=seed)
    return diurnal_arrivals(rate, duration_s, day_s=duration_s, seed=seed)


def plan_load(
    world: SyntheticWorld,
    *,
    rate: float,
    duration_s: float,
    shape: Shape,
    mode: LoadMode,
    seed: int,
    auto_credit_limit_krw: int,
    call_id_prefix: str = "load",
) -> list[PlannedCall]:
    """The calls of a run, each with its ground truth, transport and planned start (seeded)."""
    times = arrival_times(shape, rate, duration_s, seed=seed)
    if not times:
        return []
    calls = generate_calls(
        world,
        seed=seed,
        n=len(times),
        auto_credit_limit_krw=auto_credit_limit_krw,
        call_id_prefix=call_id_prefix,
    )
    rng = random.Random(f"modes:{seed}")
    return [
        PlannedCall(
            call,
            _SINGLE.get(mode) or rng.choices(_MIX_MODES, weights=_MIX_WEIGHTS)[0],
            round(at, 3),
        )
        for call, at in zip(calls, times, strict=True)
    ]


@dataclass(frozen=True)
class Dispatch:
    """One call of a run: when it was planned and sent (s from start), and how it went."""

    plan: PlannedCall
    sent_at_s: float
    sent: SentCall | None
    error: str | None = None

    @property
    def slip_s(self) -> float:
        """How late the call left against its plan."""
        return self.sent_at_s - self.plan.start_at_s


async def run_open_loop(
    plans: Sequence[PlannedCall],
    send: Callable[[PlannedCall], Awaitable[SentCall]],
    *,
    on_dispatch: Callable[[PlannedCall], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    started: float | None = None,
) -> list[Dispatch]:
    """Start `send(plan)` for each plan at its time as its own task; never await a reply first.

    Times count from `started` (default: now on `clock`); a failing send is recorded, not raised.
    """
    started = clock() if started is None else started

    async def guarded(plan: PlannedCall, sent_at_s: float) -> Dispatch:
        try:
            return Dispatch(plan, sent_at_s, await send(plan))
        except Exception as exc:  # noqa: BLE001 - one failed call must not stop the run
            return Dispatch(plan, sent_at_s, None, f"{type(exc).__name__}: {exc}"[:300])

    tasks: list[asyncio.Task[Dispatch]] = []
    for plan in sorted(plans, key=lambda p: p.start_at_s):
        delay = started + plan.start_at_s - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(guarded(plan, clock() - started)))
        if on_dispatch is not None:
            on_dispatch(plan)
    return list(await asyncio.gather(*tasks))
