"""CLI commands: `kcall classify`, `kcall intent build`, `kcall train intents`, `eval intents`.

Light at import (`kcall --help` loads this module): scikit-learn, Kiwi and the simulator
are imported inside the commands that use them.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agents.intents.recipe import DEFAULT_SEED
from pipelines.intent_data import SIM_UTTERANCES, training_examples

if TYPE_CHECKING:
    from agents.intents import Artifact, IntentClassifier
    from agents.ports import ChatModel
    from services.config import Settings
    from services.intent_model_files import FileIntentModelStore

__all__ = ["register", "training_examples"]


SEED_OPTION = typer.Option(help="Training seed (same seed and data, same model).")
SIM_OPTION = typer.Option(help="Simulator utterances added to the hand-written seed set.")
OUT_OPTION = typer.Option(help="Also write the full report as JSON here.")


def _group(app: typer.Typer, name: str, help_text: str) -> typer.Typer:
    """A shared sub-command group (`train`, `eval`): reuse it if another feature made it."""
    for info in app.registered_groups:
        if info.name == name and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(help=help_text, no_args_is_help=True)
    app.add_typer(group, name=name)
    return group


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("classify")(classify)
    intent_app = typer.Typer(help="The fast intent tier's model artefact.", no_args_is_help=True)
    intent_app.command("build")(build_intent_model)
    app.add_typer(intent_app, name="intent")
    _group(app, "train", "Train the system's models.").command("intents")(train_intents)
    _group(app, "eval", "Measure components against references.").command("intents")(eval_intents)


def _model_store(settings: Settings) -> FileIntentModelStore:
    from services.intent_model_files import FileIntentModelStore

    return FileIntentModelStore(settings.paths.data / "models")


def _artifact(
    settings: Settings, *, seed: int, sim_utterances: int, building: bool = False
) -> Artifact:
    """The checked artefact; when missing or stale, built here with a progress bar."""
    from agents.intents import ensure_intent_model, training_steps
    from services.cli.progress import progress_steps

    examples = training_examples(seed=seed, sim_utterances=sim_utterances)
    with progress_steps("training the intent model", training_steps()) as step:
        return ensure_intent_model(_model_store(settings), examples, seed=seed, on_step=step,
                                   building_expected=building)  # fmt: skip


def _load_model(settings: Settings, *, seed: int, sim_utterances: int) -> IntentClassifier:
    return _artifact(settings, seed=seed, sim_utterances=sim_utterances).classifier


def build_intent_model(
    seed: Annotated[int, SEED_OPTION] = DEFAULT_SEED,
    sim_utterances: Annotated[int, SIM_OPTION] = SIM_UTTERANCES,
) -> None:
    """Build the intent model artefact workers load (set-up runs this; a no-op when current)."""
    from services.config import get_settings

    started = time.perf_counter()
    artifact = _artifact(get_settings(), seed=seed, sim_utterances=sim_utterances, building=True)
    header = artifact.header
    verb = "built" if artifact.built else "up to date"
    typer.echo(
        f"intent model {verb}: {artifact.path} ({header.get('examples')} examples, "
        f"held-out macro-F1 {header.get('heldout_macro_f1')}, data sha256 "
        f"{str(header.get('data_sha256'))[:12]}, {time.perf_counter() - started:.1f} s)"
    )


@contextlib.contextmanager
def _chat_model(settings: Settings, use_llm: bool) -> Iterator[ChatModel | None]:
    """The LLM tier's model when asked for: the configured server or an embedded one."""
    if not use_llm:
        yield None
        return
    from services.llm import build_chat_model, llm_endpoint

    with llm_endpoint(settings) as base_url:
        yield build_chat_model(settings, base_url=base_url)


def classify(
    llm: Annotated[
        bool | None,
        typer.Option(
            "--llm/--no-llm",
            help="Ask the LLM below the threshold; default: only if KCALL_LLM_BASE_URL is set.",
        ),
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="LLM tier below this; default: settings.agent.")
    ] = None,
    seed: Annotated[int, SEED_OPTION] = DEFAULT_SEED,
    sim_utterances: Annotated[int, SIM_OPTION] = SIM_UTTERANCES,
) -> None:
    """Classify utterances read from stdin, one per line; one JSON line out for each."""
    from agents.intents import classify_tiered
    from agents.korean import redact
    from services.config import get_settings

    settings = get_settings()
    use_llm = llm if llm is not None else bool(settings.llm.base_url and settings.llm.enabled)
    cutoff = settings.agent.intent_llm_threshold if threshold is None else threshold
    model = _load_model(settings, seed=seed, sim_utterances=sim_utterances)
    with _chat_model(settings, use_llm) as chat:
        for line in sys.stdin:
            if not line.strip():
                continue
            text = redact(line.strip()).text  # the LLM may see it: redact first, as the graph does
            decision = classify_tiered(text, fast=model, chat=chat, threshold=cutoff)
            row: dict[str, Any] = {
                "text": text,
                "intent": decision.intent.value,
                "confidence": round(decision.confidence, 4),
                "tier": decision.tier.value,
            }
            if decision.tier.value == "llm" or decision.fallback_reason:
                row["fast_intent"] = decision.fast_intent.value
                row["fast_confidence"] = round(decision.fast_confidence, 4)
            if decision.fallback_reason:
                row["fallback_reason"] = decision.fallback_reason
            typer.echo(json.dumps(row, ensure_ascii=False))


def _write(out: Path | None, data: dict[str, Any]) -> None:
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        typer.echo(f"report written to {out}")


def train_intents(
    seed: Annotated[int, SEED_OPTION] = DEFAULT_SEED,
    sim_utterances: Annotated[int, SIM_OPTION] = SIM_UTTERANCES,
    noise_seed: Annotated[int, typer.Option(help="Seed of the ASR-style noise.")] = 101,
    out: Annotated[Path | None, OUT_OPTION] = None,
) -> None:
    """Train the fast intent tier reproducibly, write the model, print its report."""
    from agents.evaluation.intents import handwritten_reports, latency_ms, summary_line
    from agents.intents import handwritten_eval, train_and_store, training_steps
    from services.cli.progress import progress_steps
    from services.config import get_settings

    settings = get_settings()
    examples = training_examples(seed=seed, sim_utterances=sim_utterances)
    typer.echo(f"training on {len(examples)} utterances (seed {seed})")
    with progress_steps("training the intent model", training_steps()) as step:
        model, report, path = train_and_store(
            _model_store(settings), examples, seed=seed, on_step=step
        )
    typer.echo(f"model written to {path}")
    typer.echo(
        f"augmented to {report.augmented_examples} texts in {report.train_seconds:.1f} s; "
        f"temperature {report.temperature:.3f}"
    )
    reports = {"heldout_split": report.heldout}
    reports.update(handwritten_reports(model, noise_seed=noise_seed))
    for name, item in reports.items():
        typer.echo(summary_line(name, item))
    latency = latency_ms(model, [ex.text for ex in handwritten_eval()])
    typer.echo(f"latency per utterance: p50 {latency['p50']} ms, p95 {latency['p95']} ms")
    _write(
        out,
        {
            "model": str(path),
            "training": report.to_dict(),
            "latency_ms": latency,
            **{name: item.to_dict() for name, item in reports.items()},
        },
    )


def eval_intents(
    seed: Annotated[int, SEED_OPTION] = DEFAULT_SEED,
    sim_utterances: Annotated[int, SIM_OPTION] = SIM_UTTERANCES,
    noise_seed: Annotated[int, typer.Option(help="Seed of the ASR-style noise.")] = 101,
    llm: Annotated[
        bool, typer.Option("--llm/--no-llm", help="Also score the two-tier decision with the LLM.")
    ] = False,
    out: Annotated[Path | None, OUT_OPTION] = None,
) -> None:
    """Macro-F1, per-class scores, confusion and ECE on the hand-written set, clean and noisy."""
    from agents.evaluation.intents import handwritten_reports, summary_line, tiered_scores
    from services.config import get_settings

    settings = get_settings()
    model = _load_model(settings, seed=seed, sim_utterances=sim_utterances)
    reports = handwritten_reports(model, noise_seed=noise_seed)
    for name, item in reports.items():
        typer.echo(summary_line(name, item))
    data: dict[str, Any] = {name: item.to_dict() for name, item in reports.items()}
    if llm:
        threshold = settings.agent.intent_llm_threshold
        with _chat_model(settings, True) as chat:
            data["tiered"] = tiered_scores(model, chat, threshold=threshold,
                                           noise_seed=noise_seed)
        for name, scores in data["tiered"].items():
            summary = {k: v for k, v in scores.items() if k != "report"}
            typer.echo(f"tiered {name:<10} threshold {threshold}: {json.dumps(summary)}")
    _write(out, data)
