"""CLI commands: `kcall simulate` writes synthetic worlds, scripted calls and call audio."""

from __future__ import annotations

import json
import wave
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from simulator import SyntheticWorld

simulate_app = typer.Typer(help="Synthetic Korean calls with ground truth.", no_args_is_help=True)

Seed = Annotated[int | None, typer.Option(help="seed (default: settings.simulator.seed)")]
Customers = Annotated[
    int | None, typer.Option(help="customers (default: settings.simulator.customers)")
]
Today = Annotated[str | None, typer.Option(help="reference date YYYY-MM-DD (default: today)")]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(simulate_app, name="simulate")


def _world(seed: int | None, customers: int | None, today: str | None) -> SyntheticWorld:
    from services.config import get_settings
    from simulator import generate_world

    settings = get_settings().simulator
    return generate_world(
        seed=settings.seed if seed is None else seed,
        customers=settings.customers if customers is None else customers,
        today=date.fromisoformat(today) if today else None,
    )


@simulate_app.command("world")
def world_command(
    out: Annotated[Path, typer.Option(help="JSON file to write")] = Path("world.json"),
    seed: Seed = None,
    customers: Customers = None,
    today: Today = None,
) -> None:
    """Write a synthetic billing world with its injected anomalies (ground truth) as JSON."""
    world = _world(seed, customers, today)
    out.write_text(world.model_dump_json(indent=1), encoding="utf-8")
    typer.echo(
        f"{out}: {len(world.billing.customers)} customers, {len(world.billing.invoices)} invoices, "
        f"{len(world.anomalies)} anomalies, {len(world.valid_charges)} valid look-alikes"
    )


@simulate_app.command("calls")
def calls_command(
    n: Annotated[int | None, typer.Option("--n", help="calls (default: settings)")] = None,
    out: Annotated[Path, typer.Option(help="JSON-lines file to write")] = Path("calls.jsonl"),
    seed: Seed = None,
    customers: Customers = None,
    today: Today = None,
) -> None:
    """Write scripted calls with ground truth, one JSON object per line."""
    from services.cli.progress import progress_steps
    from services.config import get_settings
    from simulator import generate_calls

    settings = get_settings()
    count = settings.simulator.calls if n is None else n
    limit = settings.agent.auto_credit_limit_krw
    with progress_steps("generating calls", 2) as step:
        world = _world(seed, customers, today)
        step("world")
        calls = generate_calls(world, seed=world.seed, n=count, auto_credit_limit_krw=limit)
        step("calls")
    with out.open("w", encoding="utf-8") as fh:
        for call in calls:
            fh.write(call.model_dump_json() + "\n")
    scenarios = sorted({c.scenario.value for c in calls})
    typer.echo(f"{out}: {len(calls)} calls over {len(scenarios)} scenarios")


@simulate_app.command("utterances")
def utterances_command(
    n: Annotated[int, typer.Option("--n", help="utterances")] = 3000,
    seed: Annotated[int, typer.Option(help="training seed")] = 0,
    out: Annotated[Path, typer.Option(help="JSON-lines file")] = Path("utterances.jsonl"),
) -> None:
    """Write labeled customer utterances ({"text", "intent"}) for the intent classifier."""
    from simulator import training_utterances

    with out.open("w", encoding="utf-8") as fh:
        for text, intent in training_utterances(seed, n):
            fh.write(json.dumps({"text": text, "intent": intent.value}, ensure_ascii=False) + "\n")
    typer.echo(f"{out}: {n} utterances")


@simulate_app.command("audio")
def audio_command(
    calls_file: Annotated[Path, typer.Argument(help="calls.jsonl from `simulate calls`")],
    out_dir: Annotated[Path, typer.Option(help="directory for WAV files")] = Path("call-audio"),
    limit: Annotated[int, typer.Option(help="calls to render")] = 3,
    sample_rate: Annotated[int, typer.Option(help="16000 or 8000")] = 16000,
    telephone: Annotated[bool, typer.Option(help="telephone-band degradation")] = False,
) -> None:
    """Render scripted calls with espeak-ng as stereo WAV (left customer, right agent)."""
    import numpy as np

    from services.cli.progress import track
    from services.config import get_settings
    from services.schemas import Speaker
    from simulator import ScriptedCall, call_audio

    out_dir.mkdir(parents=True, exist_ok=True)
    voice = get_settings().simulator.espeak_voice
    lines = calls_file.read_text(encoding="utf-8").splitlines()[:limit]
    for line in track(lines, "rendering call audio"):
        call = ScriptedCall.model_validate_json(line)
        audio = call_audio(call, sample_rate=sample_rate, voice=voice, telephone=telephone)
        stereo = np.stack([audio.channels[Speaker.CUSTOMER], audio.channels[Speaker.AGENT]], axis=1)
        path = out_dir / f"{call.call_id}.wav"
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(2)
            wav.setsampwidth(2)
            wav.setframerate(audio.sample_rate)
            wav.writeframes(stereo.astype("<i2").tobytes())
        typer.echo(f"{path}: {audio.duration_ms / 1000:.1f} s, {len(audio.segments)} turns")
