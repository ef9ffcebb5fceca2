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
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
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
from simulator.chat_load import ChatReply, ChatSessions, score_session, session_call_id
from simulator.collector import CallObservation, OutputCollector
from simulator.loadrun import Mode, PlannedCall, SentCall, play_call, score_call
from simulator.loadtest import Dispatch, LoadMode, Shape, plan_load, run_open_loop
from simulator.loadtest_probes import KafkaOffsets, Sampler, child_processes
from simulator.loadtest_report import LoadOutcome, build_report, write_report
from simulator.report import CallResult

log = logging.getLogger(__name__)

__all__ = [
    "LoadOptions",
    "customer_keys",
    "gate_stage",
    "run_ramp",
    "run_step",
    "stack_for",
    "stages_for",
    "with_chat_keys",
]


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
    reply_timeout_s: float = 30.0


def stages_for(mode: LoadMode) -> tuple[tuple[str, ...], bool]:
    """The worker stages and whether the API runs: text needs no Whisper, http and chat the API.

    Chat sessions run the graph inside the API; only the sink (insights, handoffs) is needed.
    """
    if mode is LoadMode.CHAT:
        return ("sink",), True
    needs_asr = mode in {LoadMode.AUDIO, LoadMode.MIXED}
    stages = tuple(s for s in STAGES if s != "asr" or needs_asr)
    return stages, mode in {LoadMode.HTTP, LoadMode.MIXED}


def gate_stage(mode: LoadMode) -> str:
    """The stage whose p95 a ramp holds under its target."""
    if mode is LoadMode.AUDIO:
        return "call end→summary (audio, after ASR)"
    return "chat message→full reply" if mode is LoadMode.CHAT else "transcript→insight"


def customer_keys(api_keys: Mapping[str, list[str]]) -> dict[str, str]:
    """Customer id -> a settings key bound to that customer (`customer:<id>`; may chat)."""
    found: dict[str, str] = {}
    for key, entries in api_keys.items():
        for entry in entries:
            if entry.startswith("customer:"):
                found.setdefault(entry.removeprefix("customer:"), key)
    return found


def with_chat_keys(settings: Settings) -> Settings:
    """The settings plus one fresh random key per synthetic customer, bound to it.

    Only this run's embedded API gets them (services.cli.stack passes them in its
    environment); the settings' defaults, and any deployment, stay as they are.
    """
    world = generate_world(seed=settings.simulator.seed, customers=settings.simulator.customers)
    keys = {
        f"loadtest-{secrets.token_urlsafe(18)}": [f"customer:{customer.customer_id}"]
        for customer in world.billing.customers
    }
    api = settings.api.model_copy(update={"api_keys": {**settings.api.api_keys, **keys}})
    return settings.model_copy(update={"api": api})


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
    keys = None
    if mode is LoadMode.CHAT:
        settings = with_chat_keys(settings)
        keys = settings.api.api_keys
    with local_stack(settings, run_dir=run_dir, stages=stages, api=api, api_keys=keys) as stack:
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
    chat = options.mode is LoadMode.CHAT
    plans = plan_load(
        world,
        rate=options.rate,
        duration_s=options.duration_s,
        shape=options.shape,
        mode=options.mode,
        seed=options.seed,
        # A chat session's credits answer to the chat channel's cap, so does its truth.
        auto_credit_limit_krw=(
            settings.agent.chat_credit_limit_krw if chat else settings.agent.auto_credit_limit_krw
        ),
        call_id_prefix=call_id_prefix,
    )
    dlq_topics = [topic.dlq for topic in Topic]
    replies: list[ChatReply] = []
    audio = options.mode in {LoadMode.AUDIO, LoadMode.MIXED}
    with ExitStack() as resources:
        collector = resources.enter_context(
            OutputCollector(stack.bootstrap, settings.kafka, transcripts=audio)
        )
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
        unit = "sessions" if chat else "calls"
        with progress_steps(f"{options.rate:g} {unit}/s, {options.mode.value}", len(plans)) as step:
            dispatches = asyncio.run(_drive(stack, plans, options, started, step, replies))
        sent = [d for d in dispatches if d.sent is not None]
        with progress_steps("waiting for insights" if chat else "waiting for summaries", None):
            missing = _wait_for_outputs(collector, sent, replies, timeout_s=options.timeout_s)
        dlq_after = offsets.sizes(dlq_topics)
        seen = {d.plan.call.call_id: collector.observation(_output_id(d.plan)) for d in sent}
    tokens = _tokens(stack.database_url)
    by_session: dict[str, list[ChatReply]] = {}
    for reply in replies:
        by_session.setdefault(reply.session_id, []).append(reply)
    results = [
        dataclasses.replace(
            _score(d.sent, seen[d.plan.call.call_id], by_session.get(d.plan.call.call_id, [])),
            tokens=tokens.get(_output_id(d.plan), 0),
        )
        for d in sent
        if d.sent is not None
    ]
    if chat:  # a session is done when its last reply ended
        done = {r.call_id for r in results if r.completed}
        completed_at = {
            d.plan.call.call_id: d.sent.ended_at - started
            for d in sent
            if d.sent is not None and d.plan.call.call_id in done
        }
    else:
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
        chat=sorted(replies, key=lambda reply: reply.sent_at_s),
    )
    report = build_report(outcome)
    write_report(report, out)
    return report


def _output_id(plan: PlannedCall) -> str:
    """The call id the system's outputs carry (a chat session's are its graph thread's)."""
    chat = plan.mode is Mode.CHAT_SESSION
    return session_call_id(plan.call.call_id) if chat else plan.call.call_id


def _score(sent: SentCall, seen: CallObservation, replies: Sequence[ChatReply]) -> CallResult:
    if sent.planned.mode is Mode.CHAT_SESSION:
        return score_session(sent, [insight for insight, _ in seen.insights.values()], replies)
    return score_call(sent, seen)


def _wait_for_outputs(
    collector: OutputCollector,
    sent: Sequence[Dispatch],
    replies: Sequence[ChatReply],
    *,
    timeout_s: float,
) -> set[str]:
    """Calls without a summary, or chat sessions short of an insight per answered message."""
    answered: dict[str, int] = {}
    for reply in replies:
        if reply.error is None:
            key = session_call_id(reply.session_id)
            answered[key] = answered.get(key, 0) + 1
    calls = {d.plan.call.call_id for d in sent if d.plan.mode is not Mode.CHAT_SESSION}
    missing = collector.wait_for_summaries(calls, timeout_s=timeout_s) if calls else set()
    if answered:
        short = collector.wait_for_insights(answered, timeout_s=timeout_s)
        missing |= {key.removeprefix(session_call_id("")) for key in short}
    return missing


async def _drive(
    stack: StackEndpoints,
    plans: Sequence[PlannedCall],
    options: LoadOptions,
    started: float,
    step: Callable[[str], None],
    replies: list[ChatReply],
) -> list[Dispatch]:
    settings = stack.settings
    # The first unbound key ingests calls (http mode); chat needs customer-bound ones.
    api_key = next((k for k, v in settings.api.api_keys.items() if "calls:write" in v), "")
    # No cap on connections: a pooled client would queue requests itself (httpx holds 100)
    # and so close the loop the generator must keep open.
    async with httpx.AsyncClient(
        base_url=stack.api_url or "http://api.invalid",
        timeout=options.reply_timeout_s,
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=200),
    ) as client:
        with Publisher(stack.bootstrap, settings.kafka, client_id="kcall-loadtest-send") as pub:
            seal = partial(redact_and_seal, vault=load_pii_vault(settings))
            transports: dict[Mode, CallTransport] = {
                Mode.AUDIO: KafkaTransport(pub, redact=None),
                Mode.KAFKA_TEXT: KafkaTransport(pub, redact=seal),
                Mode.HTTP_TEXT: HttpTransport(client, api_key=api_key),
            }
            sessions = ChatSessions(
                client,
                customer_keys(settings.api.api_keys),
                started=started,
                realtime=options.speed,
                timeout_s=options.reply_timeout_s,
            )

            def render(call: ScriptedCall) -> CallAudio:
                return call_audio(
                    call, voice=settings.simulator.espeak_voice, telephone=options.telephone
                )

            async def send(plan: PlannedCall) -> SentCall:
                if plan.mode is Mode.CHAT_SESSION:
                    return await sessions.play(plan)
                return await play_call(
                    plan, transports[plan.mode], render_audio=render, realtime=options.speed
                )

            try:
                return await run_open_loop(
                    plans, send, on_dispatch=lambda plan: step(plan.call.call_id), started=started
                )
            finally:
                replies.extend(sessions.replies)


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

    A step fails when its p95 is over the target, a call got no summary or a chat reply
    failed; the answer is the highest rate before the first failure (None when even the
    first failed). Each step also records every stage's p95.
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
        failed_replies = sum(report.get("chat", {}).get("errors", {}).values())
        ok = (
            p95 is not None
            and p95 <= p95_target_ms
            and not report["missing_summaries"]
            and not failed_replies
        )
        steps.append(
            {
                "rate": rate,
                "p95_ms": p95,
                "p95_ms_by_stage": {name: d["p95"] for name, d in report["latency_ms"].items()},
                "ok": ok,
                "completed_per_s": report["achieved"]["completed_per_s"],
                "report": str(folder / "report.html"),
            }
        )
        if not ok:
            break
        best = rate
    return {"stage": stage, "p95_target_ms": p95_target_ms, "best_rate": best, "steps": steps}
