"""Intent classification for Korean call-center utterances: fast tier, LLM tier, training."""

from agents.intents.classifier import IntentClassifier, IntentPrediction
from agents.intents.dataset import LabeledUtterance, handwritten_eval, load_jsonl, seed_utterances
from agents.intents.metrics import ClassMetrics, IntentReport, expected_calibration_error
from agents.intents.noise import AsrNoise, with_asr_noise
from agents.intents.store import CODE_VERSION, load_or_train, model_file, train_and_store
from agents.intents.tiered import IntentDecision, classify_tiered
from agents.intents.training import (
    TrainingConfig,
    TrainingReport,
    evaluate,
    train_intent_model,
    with_noise,
)

__all__ = [
    "CODE_VERSION",
    "AsrNoise",
    "ClassMetrics",
    "IntentClassifier",
    "IntentDecision",
    "IntentPrediction",
    "IntentReport",
    "LabeledUtterance",
    "TrainingConfig",
    "TrainingReport",
    "classify_tiered",
    "evaluate",
    "expected_calibration_error",
    "handwritten_eval",
    "load_jsonl",
    "load_or_train",
    "model_file",
    "seed_utterances",
    "train_and_store",
    "train_intent_model",
    "with_asr_noise",
    "with_noise",
]
