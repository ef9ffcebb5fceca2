"""`kcall loadtest`: the demo's stack driven by an open-loop schedule for a rate and a duration.

This module is the composition root of a load run: it builds the transports (with the
agents' redactor), the output collector and the broker probes, and hands them to the
simulator's open-loop scheduler, sampler and report.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from kafka import KafkaConsumer

from services.broker import Publisher, client_config, make_admin
from services.cli.demo import _model_tokens_per_call
from services.cli.progress import progress_steps
from services.cli.stack import STAGES, StackEndpoints, local_stack
from services.config import Settings
from services.privacy import load_pii_vault, redact_and_seal
from services.schemas import Topic
from simulator import (
    CallAudio,
    CallTransport,
    HttpTransport,
    KafkaTransport,
    ScriptedCall,
    call_audio,
    generate_world,
)
from simulator.collector import CallObservation, OutputCollector
from simulator.loadrun import Mode, PlannedCall, SentCall, play_call, score_call
from simulator.loadtest import Dispatch, LoadMode, Shape, plan_load, run_open_loop
from simulator.loadtest_probes import KafkaOffsets, Sampler, child_processes
from simulator.loadtest_report import LoadOutcome, build_report, write_report

log = logging.getLogger(__name__)

__all__ = ["LoadOptions", "gate_stage", "run_ramp", "run_step", "stack_for", "stages_for"]


@dataclass(frozen=True)
class LoadOptions:
    """One step of load: how much, what shape, which way in."""

    rate: float
    duration_s: float
    shape: Shape = Shape.POISSON
    mode: LoadMode = LoadMode.TEXT
    seed: int = 7
    speed: float = 1.0
    telephone: bool = False
    timeout_s: float = 180.0


def stages_for(mode: LoadMode) -> tuple[tuple[str, ...], bool]:
    """The worker stages and whether the API runs: text needs no Whisper, chat needs the API."""
    needs_asr = mode in {LoadMode.AUDIO, LoadMode.MIXED}
    stages = tuple(s for s in STAGES if s != "asr" or needs_asr)
    return stages, mode in {LoadMode.CHAT, LoadMode.MIXED}


def gate_stage(mode: LoadMode) -> str:
    """The stage whose p95 a ramp holds under its target."""
    return "call end→summary (audio, after ASR)" if mode is LoadMode.AUDIO else "transcript→insight"


@contextmanager
def stack_for(
    settings: Settings, mode: LoadMode, *, run_dir: Path, external_api: str | None
) -> Iterator[StackEndpoints]:
    """A fresh stack, or (`external_api` not None, "" = no API) the running one settings name.

    A fresh stack still uses an external broker when KCALL_KAFKA_BOOTSTRAP is set, as the
    demo does; only `--external` skips starting workers.
    """
    if external_api is not None:
        if not settings.kafka.bootstrap:
            raise ValueError("--external needs KCALL_KAFKA_BOOTSTRAP")
        url = settings.database_url()
        llm = settings.llm.base_url
        yield StackEndpoints(
            settings.kafka.bootstrap, url, llm, external_api or None, run_dir, settings
        )
        return
    stages, api = stages_for(mode)
    with local_stack(settings, run_dir=run_dir, stages=stages, api=api) as stack:
        yield stack


def _tokens(database_url: str) -> dict[str, int]:
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return _model_tokens_per_call(database_url)
    except SQLAlchemyError as exc:  # an external stack's database may be out of reach
        log.warning("no token counts from the audit log: %s", exc)
        return {}


def _fallbacks(seen: CallObservation) -> int:
    notes = sum(len(insight.fallbacks) for insight, _ in seen.insights.values())
    latest = seen.latest_summary
    return notes + int(bool(latest and latest[0].fallback_reason))


def run_step(
    stack: StackEndpoints,
    options: LoadOptions,
    *,
    out: Path,
    call_id_prefix: str = "load",
    external: bool = False,
) -> dict[str, Any]:
    """Run one open-loop step on a running stack, write its report into `out`, return it."""
    settings = stack.settings
    world = generate_world(seed=settings.simulator.seed, customers=settings.simulator.customers)
    plans = plan_load(
        world,
        rate=options.rate,
        duration_s=options.duration_s,
        shape=options.shape,
        mode=options.mode,
        seed=options.seed,
        auto_credit_limit_krw=settings.agent.auto_credit_limit_krw,
        call_id_prefix=call_id_prefix,
    )
    dlq_topics = [topic.dlq for topic in Topic]
    with ExitStack() as resources:
        collector = resources.enter_context(OutputCollector(stack.bootstrap, settings.kafka))
        admin = make_admin(settings.kafka, stack.bootstrap)
        resources.callback(admin.close)
        reader = KafkaConsumer(
            **client_config(settings.kafka, stack.bootstrap, client_id="kcall-loadtest-offsets"),
            enable_auto_commit=False,
        )
        resources.callback(reader.close)
        offsets = KafkaOffsets(admin, reader, group_prefix=settings.kafka.group_prefix)
        dlq_before = offsets.sizes(dlq_topics)
        started = time.monotonic()
        processes = {"loadgen": os.getpid(), **child_processes()}
        sampler = resources.enter_context(Sampler(processes, lag=offsets.lag, started=started))
        with progress_steps(f"{options.rate:g} calls/s, {options.mode.value}", len(plans)) as step:
            dispatches = asyncio.run(_drive(stack, plans, options, started, step))
        ids = {d.plan.call.call_id for d in dispatches if d.sent is not None}
        with progress_steps("waiting for summaries", None):
            missing = collector.wait_for_summaries(ids, timeout_s=options.timeout_s)
        dlq_after = offsets.sizes(dlq_topics)
        seen = {
            d.plan.call.call_id: collector.observation(d.plan.call.call_id)
            for d in dispatches
            if d.sent is not None
        }
    tokens = _tokens(stack.database_url)
    results = [
        dataclasses.replace(
            score_call(d.sent, seen[d.plan.call.call_id]), tokens=tokens.get(d.plan.call.call_id, 0)
        )
        for d in dispatches
        if d.sent is not None
    ]
    completed_at = {cid: obs.summary[1] - started for cid, obs in seen.items() if obs.summary}
    config = {
        **dataclasses.asdict(options),
        "external": external,
        "llm": stack.llm_base_url is not None,
    }
    outcome = LoadOutcome(
        config=config,
        dispatches=dispatches,
        results=results,
        completed_at_s=completed_at,
        samples=sampler.samples,
        dlq={t: dlq_after.get(t, 0) - dlq_before.get(t, 0) for t in dlq_topics},
        fallbacks=sum(_fallbacks(obs) for obs in seen.values()),
        missing=sorted(missing),
    )
    report = build_report(outcome)
    write_report(report, out)
    return report


async def _drive(
    stack: StackEndpoints,
    plans: Sequence[PlannedCall],
    options: LoadOptions,
    started: float,
    step: Callable[[str], None],
) -> list[Dispatch]:
    settings = stack.settings
    api_key = next(iter(settings.api.api_keys), "")
    async with httpx.AsyncClient(
        base_url=stack.api_url or "http://api.invalid", timeout=30
    ) as client:
        with Publisher(stack.bootstrap, settings.kafka, client_id="kcall-loadtest-send") as pub:
            seal = partial(redact_and_seal, vault=load_pii_vault(settings))
            transports: dict[Mode, CallTransport] = {
                Mode.AUDIO: KafkaTransport(pub, redact=None),
                Mode.KAFKA_TEXT: KafkaTransport(pub, redact=seal),
                Mode.HTTP_TEXT: HttpTransport(client, api_key=api_key),
            }

            def render(call: ScriptedCall) -> CallAudio:
                return call_audio(
                    call, voice=settings.simulator.espeak_voice, telephone=options.telephone
                )

            async def send(plan: PlannedCall) -> SentCall:
                return await play_call(
                    plan, transports[plan.mode], render_audio=render, realtime=options.speed
                )

            return await run_open_loop(
                plans, send, on_dispatch=lambda plan: step(plan.call.call_id), started=started
            )


def run_ramp(
    stack: StackEndpoints,
    base: LoadOptions,
    rates: Sequence[float],
    *,
    p95_target_ms: float,
    out: Path,
    external: bool = False,
) -> dict[str, Any]:
    """Steps at rising rates on one stack until the gate stage's p95 passes the target.

    A step fails when its p95 is over the target or a call got no summary; the answer is the
    highest rate before the first failure (None when even the first failed).
    """
    stage = gate_stage(base.mode)
    steps: list[dict[str, Any]] = []
    best: float | None = None
    for i, rate in enumerate(rates):
        folder = out / f"step-{i}-{rate:g}"
        # Each step its own calls: a reused call id would be deduplicated by the agent.
        options = dataclasses.replace(base, rate=rate, seed=base.seed + i)
        report = run_step(stack, options, out=folder, call_id_prefix=f"ramp{i}", external=external)
        p95 = report["latency_ms"].get(stage, {}).get("p95")
        ok = p95 is not None and p95 <= p95_target_ms and not report["missing_summaries"]
        steps.append(
            {
                "rate": rate,
                "p95_ms": p95,
                "ok": ok,
                "completed_per_s": report["achieved"]["completed_per_s"],
                "report": str(folder / "report.html"),
            }
        )
        if not ok:
            break
        best = rate
    return {"stage": stage, "p95_target_ms": p95_target_ms, "best_rate": best, "steps": steps}
