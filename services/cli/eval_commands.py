"""CLI commands: `kcall eval` (the whole report), `eval testset`, `eval korean`, `eval heldout`."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from services.cli.asr_commands import eval_group
from services.cli.eval_phishing import eval_phishing
from services.cli.eval_summary_items import eval_summary_items

__all__ = ["register"]

_DEFAULT_OUT = Path("bench/reports/eval.md")


def register(app: typer.Typer) -> None:
    """Make `kcall eval` with no sub-command run the full report; add `eval testset`."""
    group = eval_group(app)
    group.callback(invoke_without_command=True, no_args_is_help=False)(eval_all)
    group.command("testset")(eval_testset)
    group.command("korean")(eval_korean)
    group.command("heldout")(eval_heldout)
    group.command("llm")(eval_llm)
    group.command("phishing")(eval_phishing)
    group.command("summary-items")(eval_summary_items)


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
    from services.cli.evaluation import DEFAULT_CLIPS, EvalOptions, evaluation_steps, run_evaluation
    from services.cli.progress import progress_steps
    from services.config import get_settings

    options = EvalOptions(calls=calls, noise_seed=noise_seed, llm=llm, llm_calls=llm_calls,
                          asr_calls=asr, clips_dir=DEFAULT_CLIPS if clips else None)
    with progress_steps("kcall eval", evaluation_steps(options)) as step:
        report = run_evaluation(get_settings(), options, on_step=step)
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
    from services.config import get_settings

    if regenerate:
        path = write_testset(generate_testset(
            auto_credit_limit_krw=get_settings().agent.auto_credit_limit_krw))
        typer.echo(f"test set written to {path}")
    testset = load_testset()
    disputes = sum(call.truth.expected_dispute is not None for call in testset.calls)
    churn = sum(call.truth.churn_expected for call in testset.calls)
    typer.echo(json.dumps(testset.meta, ensure_ascii=False))
    typer.echo(f"{len(testset.calls)} calls, {disputes} disputes, {churn} churn calls")


def eval_llm(
    calls: Annotated[int, typer.Option(min=1, help="The first N test calls.")] = 8,
    engines: Annotated[str, typer.Option(help=(
        "Comma-separated: rules, embedded model names, and `server` for KCALL_LLM_BASE_URL "
        "(default: rules, every embedded model, and the server when one is set)."))] = "",
) -> None:
    """Grade the summary path per engine against the test calls' ground truth."""
    from services.cli.eval_llm import RULES, grade_engines, prepare_cases, scores_markdown
    from services.cli.eval_testset import load_testset
    from services.config import get_settings
    from services.llm.catalog import CATALOG

    settings = get_settings()
    chosen = [e.strip() for e in engines.split(",") if e.strip()] or [
        RULES, *CATALOG, *(["server"] if settings.llm.base_url else [])]
    testset = load_testset(limit=calls)
    cases = prepare_cases(settings, testset.calls, testset.world)
    typer.echo(scores_markdown(grade_engines(settings, cases, chosen)))


def eval_korean(
    misses: Annotated[int, typer.Option(min=0, help="Also list the first N values missed.")] = 0,
) -> None:
    """Korean PII recall/false positives and normalization per form (hand-written, generated)."""
    from agents.evaluation.korean import korean_markdown, run_korean_eval

    typer.echo(korean_markdown(run_korean_eval(), show_misses=misses))


def eval_heldout(
    seed: Annotated[int | None, typer.Option(
        help="Seed of the held-apart template fillings (default: the report's).")] = None,
    noise_seed: Annotated[int, typer.Option(help="Seed of the ASR-style text errors.")] = 101,
) -> None:
    """Intent accuracy and macro-F1: simulator templates vs held-apart templates, and overlap."""
    from pipelines.bootstrap import load_intent_model
    from services.cli.eval_heldout import (
        HELDOUT_SEED,
        score_template_sets,
        template_sets_markdown,
    )
    from services.cli.eval_testset import load_testset
    from services.config import get_settings

    model = load_intent_model(get_settings())
    scores = score_template_sets(model, load_testset().calls, noise_seed=noise_seed,
                                 heldout_seed=HELDOUT_SEED if seed is None else seed)
    typer.echo("\n".join(template_sets_markdown(scores)))
