"""The port the intent model's artefacts are kept through: bytes by name, and their encoding.

The core decides what an artefact is (a recipe header, then the model, checked by sha256
before anything is decoded: agents.intents.store); an adapter (services.intent_model_files)
keeps the bytes and owns the unsafe part, the encoding, which may run code when decoding.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from agents.intents.classifier import IntentClassifier

__all__ = ["IntentModelStore", "StaleArtifact"]


class StaleArtifact(ValueError):
    """The file on disk is missing, damaged, foreign, or built from another recipe."""


class IntentModelStore(Protocol):
    """Keeps intent model artefacts by name, and turns a model into bytes and back."""

    def locate(self, name: str) -> Path:
        """Where the artefact `name` lives (reported to people; never opened by the core)."""
        ...

    def read(self, name: str) -> bytes:
        """The artefact's bytes.

        Raises:
            StaleArtifact: it is missing, or others could have written it.
        """
        ...

    def write(self, name: str, data: bytes) -> None:
        """Store the artefact so that readers see the old bytes or the new, never a part."""
        ...

    def encode(self, classifier: IntentClassifier) -> bytes:
        """The model as bytes, with what is needed to refuse a foreign or outdated one."""
        ...

    def decode(self, data: bytes, *, origin: str) -> IntentClassifier:
        """The model of `encode` bytes; only ever given bytes whose sha256 was checked.

        Raises:
            ValueError: not a model this build can use (`origin` names where it came from).
        """
        ...
