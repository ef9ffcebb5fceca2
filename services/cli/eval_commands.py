"""CLI commands: `kcall eval` (the whole report) and `kcall eval testset --regenerate`."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from services.cli.asr_commands import eval_group
from services.config import get_settings

__all__ = ["register"]

_DEFAULT_OUT = Path("bench/reports/eval.md")


def register(app: typer.Typer) -> None:
    """Make `kcall eval` with no sub-command run the full report; add `eval testset`."""
    group = eval_group(app)
    group.callback(invoke_without_command=True, no_args_is_help=False)(eval_all)
    group.command("testset")(eval_testset)


def eval_all(
    ctx: typer.Context,
    calls: Annotated[int | None, typer.Option(min=1, help="Only the first N test calls.")] = None,
    llm: Annotated[bool, typer.Option(
        "--llm/--no-llm", help="Also run the LLM tier (embedded server unless configured).")
    ] = False,
    llm_calls: Annotated[int, typer.Option(min=1, help="Calls in the LLM-tier pass.")] = 30,
    asr: Annotated[int, typer.Option(
        "--asr", min=0, help="Speak N test calls with espeak-ng and run Whisper's output.")] = 0,
    clips: Annotated[bool, typer.Option(
        "--clips/--no-clips", help="CER of the real Korean clips (loads Whisper).")] = True,
    noise_seed: Annotated[int, typer.Option(help="Seed of the ASR-style text errors.")] = 101,
    out: Annotated[Path | None, typer.Option(help="Write the markdown report here.")
                   ] = _DEFAULT_OUT,
    json_path: Annotated[Path | None, typer.Option(
        "--json", help="Also write every figure as JSON here.")] = None,
) -> None:
    """Measure everything on the committed test sets and print the markdown report."""
    if ctx.invoked_subcommand is not None:
        return
    from services.cli.eval_report import report_json, report_markdown, targets
    from services.cli.evaluation import DEFAULT_CLIPS, EvalOptions, run_evaluation

    options = EvalOptions(calls=calls, noise_seed=noise_seed, llm=llm, llm_calls=llm_calls,
                          asr_calls=asr, clips_dir=DEFAULT_CLIPS if clips else None)
    report = run_evaluation(get_settings(), options)
    command = "kcall " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    text = report_markdown(report, command=command.strip())
    typer.echo(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        typer.echo(f"report written to {out}")
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report_json(report), ensure_ascii=False, indent=2) + "\n",
                             encoding="utf-8")
        typer.echo(f"JSON written to {json_path}")
    missed = [t.name for t in targets(report) if not t.met]
    if missed:
        typer.echo(f"{len(missed)} target(s) not met: " + "; ".join(missed))


def eval_testset(
    regenerate: Annotated[bool, typer.Option(
        "--regenerate", help="Rewrite the committed files from the simulator.")] = False,
) -> None:
    """Show the committed simulator test set; `--regenerate` rewrites it (bump the version)."""
    from services.cli.eval_testset import generate_testset, load_testset, write_testset

    if regenerate:
        path = write_testset(generate_testset(
            auto_credit_limit_krw=get_settings().agent.auto_credit_limit_krw))
        typer.echo(f"test set written to {path}")
    testset = load_testset()
    disputes = sum(call.truth.expected_dispute is not None for call in testset.calls)
    churn = sum(call.truth.churn_expected for call in testset.calls)
    typer.echo(json.dumps(testset.meta, ensure_ascii=False))
    typer.echo(f"{len(testset.calls)} calls, {disputes} disputes, {churn} churn calls")
