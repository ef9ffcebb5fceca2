"""The trained intent model as an artefact: built once (set-up), checked and loaded by workers.

One artefact per recipe (training data, seed, config, code and scikit-learn versions): a
JSON header line, then the pickled model, kept through the `IntentModelStore` port
(agents.intents.ports; files and pickle in services.intent_model_files). The header names
the recipe and the sha256 of the pickle, so a worker unpickles only bytes this project
wrote for exactly this recipe, and a stale or damaged file is rebuilt rather than
trusted. `kcall intent build` (run by set-up) writes it; `load_or_train` is what a worker
calls at start-up: it loads the artefact in a few tens of milliseconds, or, when it is
missing or stale, trains it once (10-15 s on 2 cores) with a warning that says so.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import sklearn

from agents.intents.classifier import IntentClassifier
from agents.intents.dataset import LabeledUtterance, dump_jsonl
from agents.intents.ports import IntentModelStore, StaleArtifact
from agents.intents.recipe import CODE_VERSION, DEFAULT_SEED
from agents.intents.training import TrainingConfig, TrainingReport, train_intent_model

__all__ = [
    "CODE_VERSION",
    "DEFAULT_SEED",
    "Artifact",
    "StaleArtifact",
    "data_sha256",
    "ensure_intent_model",
    "load_artifact",
    "load_or_train",
    "model_file",
    "model_name",
    "train_and_store",
]

_FORMAT = "kcall-intent-artifact/1"
_HEADER_LIMIT = 4096  # the header is one short JSON line; a longer one is not ours

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Artifact:
    """A ready model and what is known of the file it came from."""

    classifier: IntentClassifier
    path: Path
    header: dict[str, Any]
    built: bool


def data_sha256(examples: Sequence[LabeledUtterance]) -> str:
    """The sha256 of the training examples in their stable JSON-lines form."""
    return hashlib.sha256(dump_jsonl(examples).encode("utf-8")).hexdigest()


def _recipe(
    examples: Sequence[LabeledUtterance], *, seed: int, config: TrainingConfig
) -> dict[str, Any]:
    return {
        "format": _FORMAT,
        "code_version": CODE_VERSION,
        "sklearn": sklearn.__version__,
        "seed": seed,
        "config": repr(config),
        "data_sha256": data_sha256(examples),
    }


def model_name(
    examples: Sequence[LabeledUtterance],
    *,
    seed: int = DEFAULT_SEED,
    config: TrainingConfig | None = None,
) -> str:
    """The artefact name for this data, seed, config and code version."""
    recipe = _recipe(examples, seed=seed, config=config or TrainingConfig())
    key = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode("utf-8")).hexdigest()
    return f"intent-{key[:16]}.model"


def model_file(
    store: IntentModelStore,
    examples: Sequence[LabeledUtterance],
    *,
    seed: int = DEFAULT_SEED,
    config: TrainingConfig | None = None,
) -> Path:
    """Where the store keeps the artefact of this data, seed, config and code version."""
    return store.locate(model_name(examples, seed=seed, config=config))


def _write(
    store: IntentModelStore, name: str, classifier: IntentClassifier, header: dict[str, Any]
) -> None:
    payload = store.encode(classifier)
    header = {**header, "payload_sha256": hashlib.sha256(payload).hexdigest()}
    line = json.dumps(header, sort_keys=True, ensure_ascii=True).encode("ascii") + b"\n"
    store.write(name, line + payload)


def load_artifact(
    store: IntentModelStore,
    examples: Sequence[LabeledUtterance],
    *,
    seed: int = DEFAULT_SEED,
    config: TrainingConfig | None = None,
    name: str | None = None,
) -> Artifact:
    """Load this recipe's artefact after checking it was built for exactly this recipe.

    Args:
        store: Where artefacts are kept.
        examples: The training examples (their hash is part of the recipe).
        seed: Training seed (part of the recipe).
        config: Training config (part of the recipe).
        name: Read this artefact instead of the recipe's own (to check a given file).

    Raises:
        StaleArtifact: missing, writable by others, not ours, another recipe, or bytes
            that do not hash to what the header says (nothing is decoded then).
    """
    name = name or model_name(examples, seed=seed, config=config)
    path = store.locate(name)
    data = store.read(name)
    end = data.find(b"\n", 0, _HEADER_LIMIT)
    try:
        header = json.loads(data[:end]) if end > 0 else None
    except ValueError:
        header = None
    if not isinstance(header, dict):
        raise StaleArtifact(f"{path} has no artefact header")
    wanted = _recipe(examples, seed=seed, config=config or TrainingConfig())
    changed = sorted(k for k, v in wanted.items() if header.get(k) != v)
    if changed:
        raise StaleArtifact(f"{path} was built for another {', '.join(changed)}")
    payload = data[end + 1 :]
    if hashlib.sha256(payload).hexdigest() != header.get("payload_sha256"):
        raise StaleArtifact(f"{path}: the model bytes do not match their sha256")
    classifier = store.decode(payload, origin=str(path))
    return Artifact(classifier, path, header, built=False)


def train_and_store(
    store: IntentModelStore,
    examples: Sequence[LabeledUtterance],
    *,
    seed: int = DEFAULT_SEED,
    config: TrainingConfig | None = None,
    on_step: Callable[[str], None] | None = None,
) -> tuple[IntentClassifier, TrainingReport, Path]:
    """Train, then write the artefact to its keyed path atomically."""
    config = config or TrainingConfig()
    classifier, report = train_intent_model(examples, seed=seed, config=config, on_step=on_step)
    name = model_name(examples, seed=seed, config=config)
    header = {
        **_recipe(examples, seed=seed, config=config),
        "examples": len(examples),
        "heldout_macro_f1": round(report.heldout.macro_f1, 4),
        "train_seconds": round(report.train_seconds, 2),
    }
    _write(store, name, classifier, header)
    return classifier, report, store.locate(name)


def ensure_intent_model(
    store: IntentModelStore,
    examples: Sequence[LabeledUtterance],
    *,
    seed: int = DEFAULT_SEED,
    config: TrainingConfig | None = None,
    on_step: Callable[[str], None] | None = None,
    building_expected: bool = False,
) -> Artifact:
    """Load this recipe's artefact, or build it (once, loudly) when missing or stale.

    Args:
        store: Where artefacts live (files under `settings.paths.data / "models"`).
        examples: The training examples (their hash is part of the recipe).
        seed: Training seed (part of the recipe).
        config: Training config (part of the recipe).
        on_step: Progress callback while training (see `training_steps`).
        building_expected: The caller is the build step itself: no warning when it trains.
    """
    config = config or TrainingConfig()
    try:
        return load_artifact(store, examples, seed=seed, config=config)
    except (StaleArtifact, ValueError, EOFError, ImportError, AttributeError) as error:
        # Decoding (unpickling) a damaged or foreign file fails in any of these ways: rebuild.
        reason = str(error)
    _log.log(
        logging.INFO if building_expected else logging.WARNING,
        "intent model artefact not usable (%s): training it now (%d examples, about 15 s on "
        "2 cores); `kcall intent build` does this once at set-up",
        reason,
        len(examples),
    )
    classifier, report, path = train_and_store(
        store, examples, seed=seed, config=config, on_step=on_step
    )
    _log.info(
        "intent model written to %s: held-out macro-F1 %.3f, T=%.2f, %.1f s",
        path,
        report.heldout.macro_f1,
        report.temperature,
        report.train_seconds,
    )
    # Read back through the same checks a worker makes: what we wrote is what loads.
    return replace(load_artifact(store, examples, seed=seed, config=config), built=True)


def load_or_train(
    store: IntentModelStore,
    examples_factory: Callable[[], Sequence[LabeledUtterance]],
    *,
    seed: int = DEFAULT_SEED,
    config: TrainingConfig | None = None,
) -> IntentClassifier:
    """The model of this recipe's artefact in `store`, built first if need be.

    Args:
        store: Where artefacts live (files under `settings.paths.data / "models"`).
        examples_factory: Builds the training examples (tens of milliseconds); called every
            time because the artefact is checked against their hash, so new data rebuilds.
        seed: Training seed (part of the recipe).
        config: Training config (part of the recipe).
    """
    examples = examples_factory()
    return ensure_intent_model(store, examples, seed=seed, config=config).classifier
