"""CLI commands: `kcall transcribe FILE...` and `kcall eval asr`."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["eval_group", "register"]

_DEFAULT_CLIPS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "speech-ko"


def eval_group(app: typer.Typer) -> typer.Typer:
    """The shared `kcall eval` group: reuse it if another feature created it first."""
    for info in app.registered_groups:
        if info.name == "eval" and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(help="Measure components against references.", no_args_is_help=True)
    app.add_typer(group, name="eval")
    return group


def transcribe(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="WAV files")],
) -> None:
    """Transcribe WAV files; one JSON line per file."""
    from services.asr import DecodeOptions, load_engine, read_wav, resample
    from services.cli.progress import track
    from services.config import get_settings

    settings = get_settings()
    engine = load_engine(settings)
    options = DecodeOptions.from_settings(settings.asr, vad_filter=settings.asr.vad)
    for path in track(files, "transcribing"):
        samples, rate = read_wav(path)
        audio = resample(samples, rate)
        started = time.perf_counter()
        result = engine.transcribe(audio, options)
        seconds = time.perf_counter() - started
        duration = len(audio) / 16_000
        line = {
            "file": str(path),
            "text": result.text,
            "duration_s": round(duration, 3),
            "language": result.language,
            "segments": [
                {
                    "start": round(s.start, 2),
                    "end": round(s.end, 2),
                    "text": s.text.strip(),
                    "no_speech_prob": round(s.no_speech_prob, 4),
                    "avg_logprob": round(s.avg_logprob, 4),
                }
                for s in result.segments
            ],
            "rtf": round(seconds / duration, 4) if duration else None,
        }
        typer.echo(json.dumps(line, ensure_ascii=False))


def eval_asr(
    clips: Annotated[
        Path, typer.Option("--clips", help="dir with manifest.jsonl and WAV clips")
    ] = _DEFAULT_CLIPS,
    espeak: Annotated[bool, typer.Option(help="add espeak-ng Korean sentences")] = True,
    snr_db: Annotated[float, typer.Option(help="line noise of the phone condition")] = 20.0,
    seed: Annotated[int, typer.Option(help="noise seed")] = 7,
    out: Annotated[Path | None, typer.Option(help="write the JSON report here")] = None,
) -> None:
    """CER and RTF per clip set and condition (clean, G.711 phone line with noise)."""
    from agents.evaluation.speech import summary_rows
    from pipelines.evaluation.asr_clips import evaluate, load_clips
    from services.asr import DecodeOptions, load_engine
    from services.cli.progress import track
    from services.config import get_settings

    settings = get_settings()
    engine = load_engine(settings)
    loaded = load_clips(clips if clips.is_dir() else None, espeak=espeak,
                        voice=settings.simulator.espeak_voice)
    if not loaded:
        raise typer.BadParameter(f"no clips with references under {clips}, and espeak is off")
    results = list(track(evaluate(engine, loaded, DecodeOptions.from_settings(settings.asr),
                                  snr_db=snr_db, seed=seed), "decoding clips"))
    rows = summary_rows(results)
    typer.echo("| set | condition | clips | CER | RTF |\n|---|---|---|---|---|")
    for row in rows:
        typer.echo(f"| {row['set']} | {row['condition']} | {row['clips']} | {row['cer']:.3f} "
                   f"| {row['rtf']:.3f} |")
    if out is not None:
        report = {
            "engine": engine.name,
            "asr": settings.asr.model_dump(),
            "summary": rows,
            "clips": [asdict(r) for r in results],
        }
        out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("transcribe")(transcribe)
    eval_group(app).command("asr")(eval_asr)
