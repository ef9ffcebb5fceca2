"""Intent classification for Korean call-center utterances: fast tier, LLM tier, training.

Names resolve lazily, so reading a data set (`agents.intents.dataset`) or a constant does
not pay for scikit-learn and SciPy (about 2 s) in processes that never classify.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents._lazy import lazy_exports

if TYPE_CHECKING:
    from agents.intents.classifier import IntentClassifier, IntentPrediction
    from agents.intents.dataset import (
        LabeledUtterance,
        handwritten_eval,
        load_jsonl,
        seed_utterances,
    )
    from agents.intents.metrics import ClassMetrics, IntentReport, expected_calibration_error
    from agents.intents.noise import AsrNoise, with_asr_noise
    from agents.intents.ports import IntentModelStore
    from agents.intents.store import (
        CODE_VERSION,
        Artifact,
        StaleArtifact,
        ensure_intent_model,
        load_artifact,
        load_or_train,
        model_file,
        model_name,
        train_and_store,
    )
    from agents.intents.tiered import IntentDecision, classify_tiered
    from agents.intents.training import (
        TrainingConfig,
        TrainingReport,
        evaluate,
        train_intent_model,
        training_steps,
        with_noise,
    )

__all__ = [
    "CODE_VERSION",
    "Artifact",
    "AsrNoise",
    "ClassMetrics",
    "IntentClassifier",
    "IntentDecision",
    "IntentModelStore",
    "IntentPrediction",
    "IntentReport",
    "LabeledUtterance",
    "StaleArtifact",
    "TrainingConfig",
    "TrainingReport",
    "classify_tiered",
    "ensure_intent_model",
    "evaluate",
    "expected_calibration_error",
    "handwritten_eval",
    "load_artifact",
    "load_jsonl",
    "load_or_train",
    "model_file",
    "model_name",
    "seed_utterances",
    "train_and_store",
    "train_intent_model",
    "training_steps",
    "with_asr_noise",
    "with_noise",
]

_HOME = {
    "Artifact": "agents.intents.store",
    "AsrNoise": "agents.intents.noise",
    "CODE_VERSION": "agents.intents.store",
    "ClassMetrics": "agents.intents.metrics",
    "IntentClassifier": "agents.intents.classifier",
    "IntentDecision": "agents.intents.tiered",
    "IntentModelStore": "agents.intents.ports",
    "IntentPrediction": "agents.intents.classifier",
    "IntentReport": "agents.intents.metrics",
    "LabeledUtterance": "agents.intents.dataset",
    "StaleArtifact": "agents.intents.ports",
    "TrainingConfig": "agents.intents.training",
    "TrainingReport": "agents.intents.training",
    "classify_tiered": "agents.intents.tiered",
    "ensure_intent_model": "agents.intents.store",
    "evaluate": "agents.intents.training",
    "expected_calibration_error": "agents.intents.metrics",
    "handwritten_eval": "agents.intents.dataset",
    "load_artifact": "agents.intents.store",
    "load_jsonl": "agents.intents.dataset",
    "load_or_train": "agents.intents.store",
    "model_file": "agents.intents.store",
    "model_name": "agents.intents.store",
    "seed_utterances": "agents.intents.dataset",
    "train_and_store": "agents.intents.store",
    "train_intent_model": "agents.intents.training",
    "training_steps": "agents.intents.training",
    "with_asr_noise": "agents.intents.noise",
    "with_noise": "agents.intents.training",
}


__getattr__ = lazy_exports(__name__, _HOME)
