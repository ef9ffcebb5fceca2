"""What `kcall eval` measured: one record per graph pass, the LLM effect, the whole report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.evaluation.calls import CallSetReport
from agents.evaluation.speech import ClipCer, WhisperTexts
from agents.evaluation.templates import TemplateSetScore
from agents.intents import IntentReport
from agents.korean.pii_eval import PiiReport

__all__ = ["EvalReport", "LlmEffect", "PassResult"]


@dataclass(frozen=True)
class PassResult:
    """One pass of the test set through the graph."""

    name: str
    description: str
    report: CallSetReport
    ms_per_event: float


@dataclass(frozen=True)
class LlmEffect:
    """The LLM tier on versus off: same calls, same hand-written utterances."""

    calls: int
    fast: PassResult
    tiered: PassResult
    handwritten: dict[str, dict[str, Any]]


@dataclass
class EvalReport:
    """Everything `kcall eval` measured."""

    testset: dict[str, Any]
    thresholds: dict[str, float]
    training_overlap: float
    handwritten: dict[str, IntentReport]
    passes: list[PassResult]
    pii: dict[str, PiiReport]
    llm: LlmEffect | None = None
    whisper: tuple[WhisperTexts, PassResult] | None = None
    clips: list[ClipCer] = field(default_factory=list)
    template_sets: list[TemplateSetScore] = field(default_factory=list)
    wall_s: float = 0.0
