"""CLI command: `kcall loadtest` (its options; the run lives in `services.cli.loadtest`)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["loadtest", "parse_rates", "register"]


class ShapeName(StrEnum):
    """Arrival shapes (mirrors simulator.loadtest.Shape without importing it for --help)."""

    POISSON = "poisson"
    BURST = "burst"
    DIURNAL = "diurnal"


class ModeName(StrEnum):
    """Ways in (mirrors simulator.loadtest.LoadMode)."""

    TEXT = "text"
    AUDIO = "audio"
    HTTP = "http"
    CHAT = "chat"
    MIXED = "mixed"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("loadtest")(loadtest)


def parse_rates(text: str) -> list[float]:
    """'0.5,1,2' -> [0.5, 1.0, 2.0], ascending; each in (0, 200] calls/s."""
    try:
        rates = sorted({float(part) for part in text.split(",") if part.strip()})
    except ValueError as exc:
        raise typer.BadParameter(f"--ramp-rates: {exc}") from exc
    if not rates or len(rates) > 20 or not all(0 < r <= 200 for r in rates):
        raise typer.BadParameter("--ramp-rates: 1 to 20 rates, each in (0, 200] calls/s")
    return rates


def loadtest(
    rate: Annotated[float, typer.Option(min=0.001, max=200.0, help="calls per second")] = 1.0,
    duration: Annotated[
        float, typer.Option(min=1.0, max=86_400.0, help="seconds of arrivals")
    ] = 60.0,
    shape: Annotated[ShapeName, typer.Option(help="arrival shape")] = ShapeName.POISSON,
    mode: Annotated[
        ModeName,
        typer.Option(
            help=(
                "text: transcripts on Kafka; audio: through ASR; http: call ingestion on the "
                "API; chat: assistant chat sessions on the API; mixed: text/http/audio"
            )
        ),
    ] = ModeName.TEXT,
    seed: Annotated[int, typer.Option(min=0, max=2**31, help="call and arrival seed")] = 7,
    speed: Annotated[
        float, typer.Option(min=0.0, max=100.0, help="pace within a call vs real time (0 = none)")
    ] = 1.0,
    telephone: Annotated[
        bool, typer.Option(help="audio: 8 kHz telephone-band degradation")
    ] = False,
    llm: Annotated[
        bool | None, typer.Option(help="run the model stage (default KCALL_LLM_ENABLED)")
    ] = None,
    external: Annotated[
        bool, typer.Option(help="drive KCALL_KAFKA_BOOTSTRAP instead of a new stack")
    ] = False,
    api_url: Annotated[
        str, typer.Option(help="with --external: the API URL (http, chat and mixed modes)")
    ] = "",
    out: Annotated[
        Path | None, typer.Option(help="report folder (default <data>/loadtest)")
    ] = None,
    timeout_s: Annotated[
        float, typer.Option(min=1.0, max=3600.0, help="wait this long for every summary")
    ] = 180.0,
    ramp: Annotated[
        bool, typer.Option(help="find the highest --ramp-rates rate with p95 under target")
    ] = False,
    ramp_rates: Annotated[str, typer.Option(help="rates a ramp tries, comma-separated")] = (
        "0.5,1,2,4,8"
    ),
    p95_target_ms: Annotated[
        float, typer.Option(min=1.0, max=600_000.0, help="ramp: p95 target of the gate stage")
    ] = 2000.0,
) -> None:
    """Load the system open-loop at a rate for a duration; write report.json and report.html."""
    from services.cli import loadtest as run
    from services.cli.stack import with_database
    from services.config import get_settings
    from simulator.loadtest import LoadMode, Shape

    rates = parse_rates(ramp_rates) if ramp else [rate]
    if external and not get_settings().kafka.bootstrap:
        raise typer.BadParameter("--external needs KCALL_KAFKA_BOOTSTRAP")
    if external and mode in {ModeName.HTTP, ModeName.CHAT, ModeName.MIXED} and not api_url:
        raise typer.BadParameter(f"--external --mode {mode.value} needs --api-url")
    settings = get_settings()
    if external and mode is ModeName.CHAT and not run.customer_keys(settings.api.api_keys):
        raise typer.BadParameter(
            "--external --mode chat needs customer-bound keys in KCALL_API_API_KEYS "
            '(e.g. {"<key>": ["customer:C-0001"]}, the same keys the API knows)'
        )
    folder = (out or settings.paths.data / "loadtest").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if llm is not None:
        settings = settings.model_copy(
            update={"llm": settings.llm.model_copy(update={"enabled": llm})}
        )
    if not settings.database.url and not external:
        db_file = folder / "kcall.db"
        db_file.unlink(missing_ok=True)
        settings = with_database(settings, f"sqlite:///{db_file}")
    load_mode = LoadMode(mode.value)
    base = run.LoadOptions(
        rate=rate,
        duration_s=duration,
        shape=Shape(shape.value),
        mode=load_mode,
        seed=seed,
        speed=speed,
        telephone=telephone,
        timeout_s=timeout_s,
    )
    with run.stack_for(
        settings, load_mode, run_dir=folder, external_api=api_url if external else None
    ) as stack:
        if not ramp:
            report = run.run_step(stack, base, out=folder, external=external)
            typer.echo(_headline(report))
            typer.echo(f"report: {folder / 'report.html'}")
            failed = report["missing_summaries"] or report.get("chat", {}).get("errors")
            raise typer.Exit(1 if failed else 0)
        result = run.run_ramp(
            stack, base, rates, p95_target_ms=p95_target_ms, out=folder, external=external
        )
    for step in result["steps"]:
        typer.echo(
            f"{step['rate']:g}/s: p95 {step['p95_ms']} ms -> "
            f"{'ok' if step['ok'] else 'over'} ({step['report']})"
        )
    typer.echo(
        f"highest rate under {p95_target_ms:g} ms p95 ({result['stage']}): {result['best_rate']}"
    )
    (folder / "ramp.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))


def _headline(report: dict[str, object]) -> str:
    return json.dumps(
        {
            key: report[key]
            for key in (
                "offered",
                "achieved",
                "arrival_slip_s",
                "latency_ms",
                "accuracy",
                "audio_turns",
                "chat",
                "dlq",
                "fallbacks",
            )
            if key in report
        },
        ensure_ascii=False,
        indent=1,
    )
