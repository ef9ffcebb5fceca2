"""Scoring the intent tiers on the hand-written set: clean, ASR-noisy, and with the LLM tier."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from agents.intents import (
    IntentClassifier,
    IntentReport,
    classify_tiered,
    evaluate,
    handwritten_eval,
    with_noise,
)
from agents.intents.metrics import intent_report
from agents.ports import ChatModel

__all__ = ["handwritten_reports", "latency_ms", "summary_line", "tiered_scores"]


def summary_line(name: str, report: IntentReport) -> str:
    """One line per report: size, macro-F1, accuracy, ECE and the top confusions."""
    confusions = ", ".join(f"{t.value}->{p.value} x{n}" for t, p, n in report.top_confusions(4))
    return (
        f"{name:<22} n={report.examples:<4} macro-F1 {report.macro_f1:.3f}  "
        f"acc {report.accuracy:.3f}  ECE {report.ece:.3f}  top confusions: {confusions or '-'}"
    )


def handwritten_reports(model: IntentClassifier, *, noise_seed: int) -> dict[str, IntentReport]:
    """The fast tier on the hand-written set, as written and with ASR-style noise."""
    examples = handwritten_eval()
    return {
        "handwritten_clean": evaluate(model, examples),
        "handwritten_asr_noise": evaluate(model, with_noise(examples, seed=noise_seed)),
    }


def latency_ms(model: IntentClassifier, texts: Sequence[str]) -> dict[str, float]:
    """p50 and p95 of one fast-tier prediction, in milliseconds."""
    timings = []
    for text in texts:
        started = time.perf_counter()
        model.predict(text)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "p50": round(timings[len(timings) // 2], 3),
        "p95": round(timings[int(len(timings) * 0.95)], 3),
    }


def tiered_scores(model: IntentClassifier, chat: ChatModel | None, *, threshold: float,
                  noise_seed: int) -> dict[str, dict[str, Any]]:
    """The two-tier decision (fast, then the LLM below `threshold`), clean and noisy."""
    results: dict[str, dict[str, Any]] = {}
    clean = list(handwritten_eval())
    for name, examples in (("clean", clean), ("asr_noise", with_noise(clean, seed=noise_seed))):
        decisions = [
            classify_tiered(ex.text, fast=model, chat=chat, threshold=threshold) for ex in examples
        ]
        report = intent_report(
            [ex.intent for ex in examples],
            [d.intent for d in decisions],
            [d.confidence for d in decisions],
        )
        asked = [d for d in decisions if d.fast_confidence < threshold]
        summary = {
            "macro_f1": report.macro_f1,
            "asked_llm": len(asked),
            "llm_accepted": sum(d.tier.value == "llm" for d in decisions),
            "llm_changed_intent": sum(d.intent != d.fast_intent for d in decisions),
            "fallbacks": sorted({d.fallback_reason for d in decisions if d.fallback_reason}),
            "prompt_tokens": sum(d.prompt_tokens for d in decisions),
            "completion_tokens": sum(d.completion_tokens for d in decisions),
        }
        results[name] = {**summary, "report": report.to_dict()}
    return results
