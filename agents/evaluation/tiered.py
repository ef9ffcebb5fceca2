"""The LLM tier's effect on a labelled set: macro-F1 with it, and how often it was asked."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from agents.intents import IntentClassifier, LabeledUtterance, classify_tiered
from agents.intents.metrics import intent_report
from agents.ports import ChatModel

__all__ = ["tiered_scores"]


def tiered_scores(examples: Sequence[LabeledUtterance], model: IntentClassifier,
                  chat: ChatModel, threshold: float) -> dict[str, Any]:
    """Classify every example fast tier first, asking `chat` below `threshold`.

    Returns:
        The intent report, the share asked and decided by the LLM, intents it changed, and
        why its answers were not used (counted only where it was asked).
    """
    decisions = [classify_tiered(e.text, fast=model, chat=chat, threshold=threshold)
                 for e in examples]
    report = intent_report([e.intent for e in examples], [d.intent for d in decisions],
                           [d.confidence for d in decisions])
    return {"report": report,
            "asked": sum(d.fast_confidence < threshold for d in decisions) / len(decisions),
            "llm_share": sum(d.tier.value == "llm" for d in decisions) / len(decisions),
            "changed": sum(d.intent != d.fast_intent for d in decisions),
            "fallbacks": dict(Counter(d.fallback_reason for d in decisions
                                      if d.fallback_reason and d.fast_confidence < threshold))}
