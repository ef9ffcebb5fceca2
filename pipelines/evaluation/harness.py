"""The `kcall eval` harness: every component measured on the committed test sets.

Passes over the simulator test set, each through the real graph on its own SQLite file:
clean script text, the same with ASR-style text errors, and optionally Whisper output on
espeak-ng speech (`asr_calls`) and the LLM tier on (`llm`, a subset: the embedded model is
slow on CPU). Beside them: the hand-written intent set, the PII cases and the real clips.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agents.evaluation import score_calls
from agents.evaluation.report import EvalReport, LlmEffect, PassResult
from agents.evaluation.tiered import tiered_scores
from agents.intents import (
    IntentClassifier,
    LabeledUtterance,
    evaluate,
    handwritten_eval,
    with_noise,
)
from agents.korean.pii_eval import evaluate_pii, load_cases
from pipelines.evaluation.graph_runs import (
    GraphRun,
    TurnTexts,
    eval_runtime,
    run_calls,
    scripted_texts,
)
from pipelines.evaluation.heard import NoisyTexts
from pipelines.evaluation.heldout import score_template_sets
from services.config import Settings
from simulator import ScriptedCall
from simulator.testset import TESTSET_DIR, TestSet, load_testset

__all__ = ["DEFAULT_CLIPS", "EvalOptions", "evaluation_steps", "run_evaluation"]

DEFAULT_CLIPS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "speech-ko"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalOptions:
    """What to run; the defaults are the committed report's."""

    calls: int | None = None
    noise_seed: int = 101
    llm: bool = False
    llm_calls: int = 30
    asr_calls: int = 0
    clips_dir: Path | None = DEFAULT_CLIPS
    testset_dir: Path = TESTSET_DIR


def _pass(settings: Settings, testset: TestSet, calls: list[ScriptedCall], texts: TurnTexts,
          intents: IntentClassifier, *, name: str, description: str,
          llm_base_url: str | None = None) -> PassResult:
    _log.info("eval pass %s: %d calls", name, len(calls))
    with tempfile.TemporaryDirectory(prefix=f"kcall-eval-{name}-") as workdir, eval_runtime(
        settings, workdir=Path(workdir), world=testset.world, intents=intents,
        llm_base_url=llm_base_url,
    ) as runtime:
        run: GraphRun = run_calls(runtime, calls, texts)
    report = score_calls(run.outcomes, churn_threshold=settings.agent.churn_flag_threshold)
    return PassResult(name, description, report, run.ms_per_utterance)


def _llm_effect(settings: Settings, testset: TestSet, calls: list[ScriptedCall],
                intents: IntentClassifier, fast: PassResult,
                handwritten: dict[str, list[LabeledUtterance]]) -> LlmEffect:
    from services.llm import build_chat_model, llm_endpoint

    settings = settings.model_copy(
        update={"llm": settings.llm.model_copy(update={"enabled": True})})
    threshold = settings.agent.intent_llm_threshold
    with llm_endpoint(settings) as base_url:
        tiered = _pass(settings, testset, calls, scripted_texts, intents, name="llm",
                       description="clean text, LLM tier on", llm_base_url=base_url)
        chat = build_chat_model(settings, base_url=base_url)
        try:
            tiered_hand = {name: tiered_scores(examples, intents, chat, threshold)
                           for name, examples in handwritten.items()}
        finally:
            chat.close()
    return LlmEffect(len(calls), fast, tiered, tiered_hand)


def _speech(settings: Settings, testset: TestSet, intents: IntentClassifier,
            options: EvalOptions, report: EvalReport) -> None:
    from pipelines.evaluation.heard import real_clip_cer, whisper_texts
    from services.asr import DecodeOptions, load_engine

    engine = load_engine(settings)
    decode = DecodeOptions.from_settings(settings.asr)
    if options.clips_dir is not None and (options.clips_dir / "manifest.jsonl").is_file():
        report.clips = real_clip_cer(engine, options.clips_dir, decode)
    if options.asr_calls > 0:
        calls = testset.calls[: options.asr_calls]
        heard = whisper_texts(engine, calls, decode, voice=settings.simulator.espeak_voice)
        result = _pass(settings, testset, calls, heard, intents, name="whisper",
                       description="espeak-ng speech -> Whisper transcripts")
        report.whisper = (heard, result)


def evaluation_steps(options: EvalOptions) -> int:
    """How many times `run_evaluation` calls its `on_step` for these options."""
    return 4 + int(options.llm) + int(options.asr_calls > 0 or options.clips_dir is not None)


def run_evaluation(settings: Settings, options: EvalOptions,
                   *, intents: IntentClassifier | None = None,
                   on_step: Callable[[str], None] | None = None) -> EvalReport:
    """Run every pass the options ask for; `intents` defaults to the production model.

    `on_step` hears of each of the `evaluation_steps(options)` phases (progress bars).
    """
    from pipelines.bootstrap import load_intent_model

    step = on_step or (lambda _: None)
    started = time.perf_counter()
    model = intents or load_intent_model(settings)
    model.predict("안녕하세요")  # load the tokenizer now, not inside the first pass's timing
    step("intent model")
    testset = load_testset(options.testset_dir, limit=options.calls)
    calls = testset.calls
    hand = list(handwritten_eval())
    hand_sets = {"clean": hand, "asr_noise": with_noise(hand, seed=options.noise_seed)}
    clean = _pass(settings, testset, calls, scripted_texts, model, name="clean",
                  description="script text as written")
    step("clean pass")
    noisy = _pass(settings, testset, calls, NoisyTexts(options.noise_seed), model,
                  name="asr_noise",
                  description=f"ASR-style text errors (seed {options.noise_seed})")
    step("ASR-noise pass")
    template_sets = score_template_sets(model, calls, noise_seed=options.noise_seed)
    report = EvalReport(
        testset={**testset.meta, "evaluated_calls": len(calls)},
        thresholds={"intent_llm": settings.agent.intent_llm_threshold,
                    "churn_flag": settings.agent.churn_flag_threshold,
                    "auto_credit_limit_krw": settings.agent.auto_credit_limit_krw},
        training_overlap=template_sets[0].training_overlap,
        handwritten={name: evaluate(model, examples) for name, examples in hand_sets.items()},
        passes=[clean, noisy],
        pii={split: evaluate_pii(load_cases(split=split)) for split in ("dev", "heldout")},
        template_sets=template_sets,
    )
    step("hand-written and held-apart intents, PII")
    if options.llm:
        subset = calls[: options.llm_calls]
        fast = _pass(settings, testset, subset, scripted_texts, model, name="llm_baseline",
                     description="clean text, fast tier only")
        report.llm = _llm_effect(settings, testset, subset, model, fast, hand_sets)
        step("LLM tier")
    if options.asr_calls > 0 or options.clips_dir is not None:
        _speech(settings, testset, model, options, report)
        step("speech")
    report.wall_s = time.perf_counter() - started
    return report
