"""Where the trained intent model lives: a file keyed by training data, seed and code version.

`load_or_train` is what a worker calls at start-up: it loads the cached model when the
training data has not changed and trains (about half a minute on 2 cores) otherwise.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import sklearn

from agents.intents.classifier import IntentClassifier
from agents.intents.dataset import LabeledUtterance, dump_jsonl
from agents.intents.training import TrainingConfig, TrainingReport, train_intent_model

__all__ = ["CODE_VERSION", "DEFAULT_SEED", "load_or_train", "model_file", "train_and_store"]

# Bump when features, the classifier or augmentation change: old files are then ignored.
CODE_VERSION = "intent-fast-v3"
DEFAULT_SEED = 13

_log = logging.getLogger(__name__)


def model_file(
    models_dir: Path,
    examples: Sequence[LabeledUtterance],
    *,
    seed: int = DEFAULT_SEED,
    config: TrainingConfig | None = None,
) -> Path:
    """The cache path for this data, seed, config and code version."""
    config = config or TrainingConfig()
    digest = hashlib.sha256()
    for part in (CODE_VERSION, sklearn.__version__, str(seed), repr(config), dump_jsonl(examples)):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return models_dir / f"intent-{digest.hexdigest()[:16]}.pkl"


def train_and_store(
    models_dir: Path,
    examples: Sequence[LabeledUtterance],
    *,
    seed: int = DEFAULT_SEED,
    config: TrainingConfig | None = None,
) -> tuple[IntentClassifier, TrainingReport, Path]:
    """Train, then write the model to its keyed path atomically."""
    config = config or TrainingConfig()
    classifier, report = train_intent_model(examples, seed=seed, config=config)
    path = model_file(models_dir, examples, seed=seed, config=config)
    classifier.save(path)
    return classifier, report, path


def load_or_train(
    path: Path,
    examples_factory: Callable[[], Sequence[LabeledUtterance]],
    *,
    seed: int = DEFAULT_SEED,
    config: TrainingConfig | None = None,
) -> IntentClassifier:
    """Load the model cached under the `path` directory, or train and cache it.

    Args:
        path: The models directory, normally `settings.paths.data / "models"`.
        examples_factory: Builds the training examples; called every time because the
            cache key is a hash of them, so a change in data retrains.
        seed: Training seed (part of the key).
        config: Training config (part of the key).
    """
    config = config or TrainingConfig()
    examples = examples_factory()
    target = model_file(path, examples, seed=seed, config=config)
    if target.exists():
        try:
            return IntentClassifier.load(target)
        except Exception as error:  # a corrupt or foreign file: retrain over it
            _log.warning("intent model %s unusable (%s); retraining", target, error)
    _log.info("training the intent model (%d examples) into %s", len(examples), target)
    classifier, report = train_intent_model(examples, seed=seed, config=config)
    _log.info(
        "intent model trained: held-out macro-F1 %.3f, T=%.2f, %.1f s",
        report.heldout.macro_f1,
        report.temperature,
        report.train_seconds,
    )
    classifier.save(target)
    return classifier
