"""The intent model artefact: built once, loaded only when it is exactly ours and current."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest

from agents.domain import Intent
from agents.intents import (
    LabeledUtterance,
    StaleArtifact,
    TrainingConfig,
    ensure_intent_model,
    handwritten_eval,
    load_artifact,
    model_file,
    seed_utterances,
)
from agents.intents import store as store_module
from services.intent_model_files import FileIntentModelStore

SMALL = TrainingConfig(noisy_copies=1, calibration_folds=2, heldout_fraction=0.2)
KEEP = {Intent.ROAMING, Intent.DEVICE, Intent.PAYMENT, Intent.OTHER}


def small_set() -> list[LabeledUtterance]:
    return [ex for ex in seed_utterances() if ex.intent in KEEP]


def probe_texts() -> list[str]:
    return [ex.text for ex in handwritten_eval() if ex.intent in KEEP]


def test_build_then_load_gives_the_same_predictions(tmp_path: Path) -> None:
    files = FileIntentModelStore(tmp_path)
    examples = small_set()
    steps: list[str] = []
    built = ensure_intent_model(files, examples, seed=2, config=SMALL, on_step=steps.append)
    assert built.built and built.path == model_file(files, examples, seed=2, config=SMALL)
    assert steps, "training reports its steps to the progress bar"
    assert built.header["data_sha256"] == store_module.data_sha256(examples)
    assert built.header["examples"] == len(examples)

    loaded = ensure_intent_model(files, examples, seed=2, config=SMALL)
    assert not loaded.built, "a current artefact is loaded, not retrained"
    texts = probe_texts()
    assert [p.ranked for p in loaded.classifier.predict_many(texts)] == [
        p.ranked for p in built.classifier.predict_many(texts)
    ]
    # The single-text path of the loaded model agrees with the batch path of the built one.
    assert loaded.classifier.predict(texts[0]).intent is built.classifier.predict(texts[0]).intent


def test_an_artefact_of_another_code_version_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = FileIntentModelStore(tmp_path)
    examples = small_set()
    target = model_file(files, examples, seed=2, config=SMALL)
    with monkeypatch.context() as patched:
        patched.setattr(store_module, "CODE_VERSION", "intent-fast-v0")
        old = ensure_intent_model(FileIntentModelStore(tmp_path / "old"), examples, seed=2,
                                  config=SMALL)
    # A stale file at the current name (an old build, an interrupted upgrade).
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(old.path.read_bytes())
    with pytest.raises(StaleArtifact, match="code_version"):
        load_artifact(files, examples, seed=2, config=SMALL)

    rebuilt = ensure_intent_model(files, examples, seed=2, config=SMALL)
    assert rebuilt.built and rebuilt.header["code_version"] == store_module.CODE_VERSION
    assert not ensure_intent_model(files, examples, seed=2, config=SMALL).built


def test_changed_training_data_is_another_recipe(tmp_path: Path) -> None:
    files = FileIntentModelStore(tmp_path)
    examples = small_set()
    built = ensure_intent_model(files, examples, seed=2, config=SMALL)
    fewer = examples[:-1]
    with pytest.raises(StaleArtifact, match="data_sha256"):
        load_artifact(files, fewer, seed=2, config=SMALL, name=built.path.name)
    with pytest.raises(StaleArtifact, match="seed"):
        load_artifact(files, examples, seed=3, config=SMALL, name=built.path.name)


class _Planted:
    """Unpickling this would create a file: the proof that the bytes were unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_bytes_that_do_not_match_their_sha256_are_never_unpickled(tmp_path: Path) -> None:
    files = FileIntentModelStore(tmp_path)
    examples = small_set()
    built = ensure_intent_model(files, examples, seed=2, config=SMALL)
    header_line = built.path.read_bytes().split(b"\n", 1)[0]
    marker = tmp_path / "unpickled"
    built.path.write_bytes(header_line + b"\n" + pickle.dumps(_Planted(marker)))
    with pytest.raises(StaleArtifact, match="sha256"):
        load_artifact(files, examples, seed=2, config=SMALL)
    assert not marker.exists()

    rebuilt = ensure_intent_model(files, examples, seed=2, config=SMALL)
    assert rebuilt.built and not marker.exists()
    assert json.loads(rebuilt.path.read_bytes().split(b"\n", 1)[0])["payload_sha256"]


def test_a_file_others_can_write_is_refused(tmp_path: Path) -> None:
    files = FileIntentModelStore(tmp_path)
    examples = small_set()
    built = ensure_intent_model(files, examples, seed=2, config=SMALL)
    assert built.path.stat().st_mode & 0o077 == 0, "written owner-only"
    os.chmod(built.path, 0o666)
    with pytest.raises(StaleArtifact, match="writable"):
        load_artifact(files, examples, seed=2, config=SMALL)
