"""Training and evaluation of the fast intent tier: pure functions over labelled utterances."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.domain import Intent
from agents.intents.classifier import IntentClassifier
from agents.intents.dataset import LabeledUtterance
from agents.intents.metrics import IntentReport, intent_report
from agents.intents.noise import AsrNoise, with_asr_noise

__all__ = [
    "TrainingConfig",
    "TrainingReport",
    "augment",
    "evaluate",
    "split_heldout",
    "train_intent_model",
    "training_steps",
    "with_noise",
]


@dataclass(frozen=True)
class TrainingConfig:
    """Knobs of one training run; the defaults are the shipped model's."""

    noisy_copies: int = 2
    heldout_fraction: float = 0.15
    c: float = 1.0
    calibration_folds: int = 3
    noise: AsrNoise = field(default_factory=AsrNoise)


@dataclass(frozen=True)
class TrainingReport:
    """What a training run did and how the held-out split scored."""

    seed: int
    examples: int
    augmented_examples: int
    heldout: IntentReport
    temperature: float
    train_seconds: float
    per_intent: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "seed": self.seed,
            "examples": self.examples,
            "augmented_examples": self.augmented_examples,
            "temperature": self.temperature,
            "train_seconds": round(self.train_seconds, 2),
            "per_intent": self.per_intent,
            "heldout": self.heldout.to_dict(),
        }


def with_noise(
    examples: Sequence[LabeledUtterance], *, seed: int, noise: AsrNoise | None = None
) -> list[LabeledUtterance]:
    """One ASR-style noisy copy of each example (for robustness evaluation)."""
    rng = random.Random(seed)
    return [LabeledUtterance(with_asr_noise(ex.text, rng, noise), ex.intent) for ex in examples]


def augment(
    examples: Sequence[LabeledUtterance],
    *,
    seed: int,
    copies: int,
    noise: AsrNoise | None = None,
) -> tuple[list[str], list[Intent], list[int]]:
    """Each example plus `copies` noisy variants; the group id ties variants to their source."""
    rng = random.Random(seed)
    texts: list[str] = []
    labels: list[Intent] = []
    groups: list[int] = []
    for group, example in enumerate(examples):
        variants = {example.text}
        for _ in range(copies):
            variants.add(with_asr_noise(example.text, rng, noise))
        for text in sorted(variants):  # sorted: set order must not leak into the model
            texts.append(text)
            labels.append(example.intent)
            groups.append(group)
    return texts, labels, groups


def split_heldout(
    examples: Sequence[LabeledUtterance], *, fraction: float, seed: int
) -> tuple[list[LabeledUtterance], list[LabeledUtterance]]:
    """Stratified split by intent, deduplicated on text so a sentence is never on both sides."""
    by_intent: dict[Intent, list[LabeledUtterance]] = defaultdict(list)
    seen: set[str] = set()
    for example in examples:
        if example.text not in seen:
            seen.add(example.text)
            by_intent[example.intent].append(example)
    rng = random.Random(seed)
    train: list[LabeledUtterance] = []
    heldout: list[LabeledUtterance] = []
    for intent in sorted(by_intent):
        group = by_intent[intent][:]
        rng.shuffle(group)
        cut = round(len(group) * fraction) if len(group) >= 5 else 0
        heldout.extend(group[:cut])
        train.extend(group[cut:])
    return train, heldout


def evaluate(classifier: IntentClassifier, examples: Sequence[LabeledUtterance]) -> IntentReport:
    """Macro-F1, per-class P/R/F1, confusion matrix and ECE on a labelled set."""
    predictions = classifier.predict_many([example.text for example in examples])
    return intent_report(
        [example.intent for example in examples],
        [prediction.intent for prediction in predictions],
        [prediction.confidence for prediction in predictions],
    )


def _new_classifier(config: TrainingConfig) -> IntentClassifier:
    return IntentClassifier(c=config.c, calibration_folds=config.calibration_folds)


def _fit(
    examples: Sequence[LabeledUtterance],
    *,
    seed: int,
    config: TrainingConfig,
    on_step: Callable[[str], None],
) -> tuple[IntentClassifier, int]:
    texts, labels, groups = augment(
        examples, seed=seed, copies=config.noisy_copies, noise=config.noise
    )
    classifier = _new_classifier(config)
    classifier.fit(texts, labels, seed=seed, groups=groups, on_step=on_step)
    return classifier, len(texts)


def training_steps(config: TrainingConfig | None = None) -> int:
    """How many times `train_intent_model` calls its `on_step` (a progress bar's total)."""
    return 2 * _new_classifier(config or TrainingConfig()).fit_steps() + 1


def train_intent_model(
    examples: Sequence[LabeledUtterance],
    *,
    seed: int,
    config: TrainingConfig | None = None,
    on_step: Callable[[str], None] | None = None,
) -> tuple[IntentClassifier, TrainingReport]:
    """Score the recipe on a held-out split, then fit the shipped model on every example.

    Noise augmentation happens after the split, so no noisy twin of a held-out sentence is
    trained on. The returned classifier saw all examples; the report's held-out figures
    describe the same recipe trained without the held-out part. `on_step` hears of each
    of the `training_steps(config)` steps (progress bars).
    """
    config = config or TrainingConfig()
    step = on_step or (lambda _: None)
    started = time.perf_counter()
    train, heldout = split_heldout(examples, fraction=config.heldout_fraction, seed=seed)
    probe, _ = _fit(train, seed=seed, config=config, on_step=lambda what: step(f"held-out {what}"))
    heldout_report = evaluate(probe, heldout)
    step("held-out evaluation")
    classifier, augmented = _fit(examples, seed=seed, config=config, on_step=step)
    counts: dict[str, int] = defaultdict(int)
    for example in examples:
        counts[example.intent.value] += 1
    report = TrainingReport(
        seed=seed,
        examples=len(examples),
        augmented_examples=augmented,
        heldout=heldout_report,
        temperature=classifier.temperature,
        train_seconds=time.perf_counter() - started,
        per_intent=dict(sorted(counts.items())),
    )
    return classifier, report
