"""CLI commands: `kcall demo`, the whole system end to end on the embedded defaults."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import typer
from rich.console import Console
from rich.table import Table

from services.broker import Publisher
from services.cli.stack import STAGES, StackEndpoints, local_stack, with_database
from services.config import Settings, get_settings
from services.privacy import load_pii_vault, redact_and_seal
from simulator import (
    CallResult,
    CallTransport,
    HttpTransport,
    KafkaTransport,
    ScriptedCall,
    call_audio,
    generate_calls,
    generate_world,
    render_markdown,
    summarize,
)
from simulator.collector import OutputCollector
from simulator.loadrun import Mode, PlannedCall, SentCall, play_calls, score_call

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoOutcome:
    """What a demo run produced."""

    results: list[CallResult]
    summaries: dict[str, str]
    wall_s: float
    missing: set[str]


def demo(
    *,
    calls: int | None,
    audio: int | None,
    http: int,
    speed: float,
    arrival_s: float,
    timeout_s: float,
    model_wait_s: float,
) -> None:
    """Start every component, run simulated Korean calls, print results against ground truth."""
    settings = get_settings()
    n_calls = calls or settings.simulator.calls
    n_audio = settings.simulator.audio_calls if audio is None else audio
    run_dir = settings.paths.data / "demo"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    if not settings.database.url:
        settings = with_database(settings, f"sqlite:///{(run_dir / 'kcall.db').resolve()}")
    console = Console(width=max(Console().width, 180))
    console.print(f"[bold]kcall demo[/]: {n_calls} calls ({n_audio} audio, {http} via HTTP API)")
    sim = settings.simulator
    world = generate_world(seed=sim.seed, customers=sim.customers)
    scripted = generate_calls(
        world, seed=sim.seed, n=n_calls, auto_credit_limit_krw=settings.agent.auto_credit_limit_krw
    )
    outcome = run_demo(
        settings,
        run_dir=run_dir,
        scripted=scripted,
        n_audio=n_audio,
        n_http=http,
        speed=speed,
        arrival_s=arrival_s,
        timeout_s=timeout_s,
        model_wait_s=model_wait_s,
    )
    console.print(_call_table(outcome))
    console.print(render_markdown(summarize(outcome.results, wall_s=outcome.wall_s)))
    if outcome.missing:
        console.print(
            f"[red]no summary for {len(outcome.missing)} call(s): {sorted(outcome.missing)}[/]"
        )
        console.print(f"logs: {run_dir / 'logs'}")
        raise typer.Exit(1)


def run_demo(
    settings: Settings,
    *,
    run_dir: Path,
    scripted: list[ScriptedCall],
    n_audio: int,
    n_http: int,
    speed: float,
    arrival_s: float,
    timeout_s: float,
    model_wait_s: float = 0.0,
    stages: Sequence[str] = STAGES,
) -> DemoOutcome:
    """Run calls of the seeded world through a fresh stack; per-call results (demo and e2e)."""
    plans = plan_calls(
        scripted, n_audio=n_audio, n_http=n_http, arrival_s=arrival_s, seed=settings.simulator.seed
    )
    with local_stack(settings, run_dir=run_dir, stages=stages) as stack:
        started = time.monotonic()
        sent, collector_results = asyncio.run(
            _drive(stack, plans, speed, timeout_s, model_wait_s if stack.llm_base_url else 0.0))
        wall_s = time.monotonic() - started
        tokens = _model_tokens_per_call(stack.database_url)
    results, summaries, missing = collector_results
    # Tokens come from the model stage's audit of every call it made, answered or rejected,
    # so a model that ran is never counted as 0 because none of its words were used.
    results = [dataclasses.replace(r, tokens=tokens.get(r.call_id, 0)) for r in results]
    return DemoOutcome(results, summaries, wall_s, missing)


def _model_tokens_per_call(database_url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from services.db import make_engine
    from services.db.models import AuditEntry

    engine = make_engine(database_url)
    try:
        with engine.connect() as db:
            rows = db.execute(
                select(AuditEntry.call_id,
                       func.sum(AuditEntry.prompt_tokens + AuditEntry.completion_tokens))
                .where(AuditEntry.actor.like("model:%")).group_by(AuditEntry.call_id)).all()
    finally:
        engine.dispose()
    return {call_id: int(total or 0) for call_id, total in rows}


def plan_calls(
    calls: list[ScriptedCall], *, n_audio: int, n_http: int, arrival_s: float, seed: int
) -> list[PlannedCall]:
    """Assign each call a transport and a Poisson arrival time (seeded)."""
    rng = random.Random(f"arrivals:{seed}")
    rate = len(calls) / max(arrival_s, 1e-3)
    at, plans = 0.0, []
    for i, call in enumerate(calls):
        mode = (
            Mode.AUDIO
            if i < n_audio
            else Mode.HTTP_TEXT
            if i < n_audio + n_http
            else Mode.KAFKA_TEXT
        )
        plans.append(PlannedCall(call, mode, round(at, 3)))
        at += rng.expovariate(rate)
    return plans


async def _drive(
    stack: StackEndpoints,
    plans: list[PlannedCall],
    speed: float,
    timeout_s: float,
    model_wait_s: float,
) -> tuple[list[SentCall], tuple[list[CallResult], dict[str, str], set[str]]]:
    settings = stack.settings
    api_key = next(iter(settings.api.api_keys))
    with (
        Publisher(stack.bootstrap, settings.kafka, client_id="kcall-simulator") as publisher,
        OutputCollector(stack.bootstrap, settings.kafka) as collector,
    ):
        async with httpx.AsyncClient(base_url=stack.api_url or "", timeout=30) as client:
            seal = partial(redact_and_seal, vault=load_pii_vault(settings))
            transports: dict[Mode, CallTransport] = {
                # Audio carries no text; the ASR stage redacts what it hears.
                Mode.AUDIO: KafkaTransport(publisher, redact=None),
                Mode.KAFKA_TEXT: KafkaTransport(publisher, redact=seal),
                Mode.HTTP_TEXT: HttpTransport(client, api_key=api_key),
            }
            sent = await play_calls(
                plans,
                transports,
                render_audio=lambda call: call_audio(call, voice=settings.simulator.espeak_voice),
                realtime=speed,
            )
        ids = {s.planned.call.call_id for s in sent}
        # Every call must have the rules' summary; the model's rewording is waited for a
        # while and reported, but it is extra and never blocks or fails anything.
        missing = await asyncio.to_thread(collector.wait_for_summaries, ids, timeout_s=timeout_s)
        if not missing and model_wait_s > 0:
            await asyncio.to_thread(collector.wait_for_summaries, ids, timeout_s=model_wait_s,
                                    model=True)
        results, summaries = [], {}
        for item in sent:
            seen = collector.observation(item.planned.call.call_id)
            results.append(score_call(item, seen))
            latest = seen.latest_summary
            if latest:
                summary = latest[0]
                summaries[item.planned.call.call_id] = (
                    f"(r{summary.revision} {summary.source.value}) {summary.summary}")
    return sent, (results, summaries, missing)


def _call_table(outcome: DemoOutcome) -> Table:
    table = Table(title="calls", show_lines=False)
    for column in (
        "call",
        "scenario",
        "expected",
        "found",
        "dispute (expected → found)",
        "churn",
        "summary",
    ):
        table.add_column(column, overflow="fold")
    for r in outcome.results:
        dispute = "-"
        if r.expected_outcome or r.found_outcome:
            expected = f"{r.expected_outcome or '-'} {r.expected_credit_krw:,}원"
            found = f"{r.found_outcome or '-'} {r.found_credit_krw:,}원"
            dispute = f"{expected} → {found}"
        churn = f"{'예상' if r.churn_expected else '-'} / {'플래그' if r.churn_flagged else '-'}"
        mark = "✓" if r.found_intent == r.expected_intent else "✗"
        first_line = outcome.summaries.get(r.call_id, "(요약 없음)").splitlines()[0]
        table.add_row(
            r.call_id,
            r.scenario,
            r.expected_intent.value,
            f"{mark} {r.found_intent.value if r.found_intent else '-'}",
            dispute,
            churn,
            first_line,
        )
    return table
