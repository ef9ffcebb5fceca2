"""CLI commands: `kcall eval` and its sub-commands (the work is in `pipelines.evaluation`)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from services.cli.asr_commands import eval_group

__all__ = ["register"]

_DEFAULT_OUT = Path("bench/reports/eval.md")


def register(app: typer.Typer) -> None:
    """Make `kcall eval` with no sub-command run the full report; add the sub-commands."""
    group = eval_group(app)
    group.callback(invoke_without_command=True, no_args_is_help=False)(eval_all)
    group.command("testset")(eval_testset)
    group.command("korean")(eval_korean)
    group.command("heldout")(eval_heldout)
    group.command("llm")(eval_llm)
    group.command("phishing")(eval_phishing)
    group.command("summary-items")(eval_summary_items)


def _write(path: Path | None, text: str, said: str | None = None) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if said:
            typer.echo(f"{said} {path}")


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
    from agents.evaluation.report_json import report_json
    from agents.evaluation.report_markdown import report_markdown
    from agents.evaluation.targets import targets
    from pipelines.evaluation.harness import (
        DEFAULT_CLIPS,
        EvalOptions,
        evaluation_steps,
        run_evaluation,
    )
    from services.cli.progress import progress_steps
    from services.config import get_settings

    options = EvalOptions(calls=calls, noise_seed=noise_seed, llm=llm, llm_calls=llm_calls,
                          asr_calls=asr, clips_dir=DEFAULT_CLIPS if clips else None)
    with progress_steps("kcall eval", evaluation_steps(options)) as step:
        report = run_evaluation(get_settings(), options, on_step=step)
    command = "kcall " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    text = report_markdown(report, command=command.strip())
    typer.echo(text)
    _write(out, text, "report written to")
    _write(json_path, json.dumps(report_json(report), ensure_ascii=False, indent=2) + "\n",
           "JSON written to")
    missed = [t.name for t in targets(report) if not t.met]
    if missed:
        typer.echo(f"{len(missed)} target(s) not met: " + "; ".join(missed))


def eval_testset(
    regenerate: Annotated[bool, typer.Option(
        "--regenerate", help="Rewrite the committed files from the simulator.")] = False,
) -> None:
    """Show the committed simulator test set; `--regenerate` rewrites it (bump the version)."""
    from services.config import get_settings
    from simulator.testset import generate_testset, load_testset, write_testset

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
    from agents.evaluation.summaries import scores_markdown
    from pipelines.evaluation.summary_engines import default_engines, grade_engines, prepare_cases
    from services.config import get_settings
    from simulator.testset import load_testset

    settings = get_settings()
    chosen = [e.strip() for e in engines.split(",") if e.strip()] or default_engines(settings)
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
    from agents.evaluation.templates import template_sets_markdown
    from pipelines.bootstrap import load_intent_model
    from pipelines.evaluation.heldout import HELDOUT_SEED, score_template_sets
    from services.config import get_settings
    from simulator.testset import load_testset

    model = load_intent_model(get_settings())
    scores = score_template_sets(model, load_testset().calls, noise_seed=noise_seed,
                                 heldout_seed=HELDOUT_SEED if seed is None else seed)
    typer.echo("\n".join(template_sets_markdown(scores)))


def eval_phishing(
    calls: Annotated[int, typer.Option(min=5, max=5000, help="Scam calls per split.")] = 150,
    normal: Annotated[int, typer.Option(
        min=10, max=5000, help="Normal calls in the fit (another seed than the test set).")] = 300,
    threshold: Annotated[float | None, typer.Option(
        min=0.0, max=1.0, help="Alert threshold (default KCALL_AGENT_PHISHING_ALERT_THRESHOLD).")
    ] = None,
    fit_weights: Annotated[bool, typer.Option(
        "--fit", help="Refit the weights on the train wording and report with them too.")] = False,
    out: Annotated[Path | None, typer.Option(help="Also write the markdown here.")] = None,
) -> None:
    """Measure the phishing alert on held-apart scam templates and on normal calls."""
    from pipelines.evaluation.phishing_sets import phishing_report
    from services.config import get_settings

    cut = get_settings().agent.phishing_alert_threshold if threshold is None else threshold
    text = phishing_report(calls=calls, normal=normal, threshold=cut, refit=fit_weights)
    typer.echo(text)
    _write(out, text + "\n")


def eval_summary_items(
    calls: Annotated[int, typer.Option(min=1, max=5000, help="The first N test calls.")] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the planted turns and call dates.")] = 14,
    turns: Annotated[int, typer.Option(min=1, max=7, help="Turns planted per call.")] = 2,
    misses: Annotated[bool, typer.Option(help="List the first misses.")] = True,
    out: Annotated[Path | None, typer.Option(help="Also write the markdown here.")] = None,
) -> None:
    """Score the extracted dates, amounts, actions and numbers against planted ground truth."""
    from pipelines.evaluation.summary_items import summary_items_report

    text = summary_items_report(calls=calls, seed=seed, turns=turns, misses=misses)
    typer.echo(text)
    _write(out, text + "\n")
