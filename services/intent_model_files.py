"""The intent model's artefacts as files: owner-only, written atomically, pickled models.

Implements agents.intents.ports.IntentModelStore. The core checks an artefact's recipe
header and the sha256 of its model bytes before calling `decode`, so only bytes this
project wrote are ever unpickled; this adapter refuses files others could have written.
"""

from __future__ import annotations

import os
import pickle
import stat
import tempfile
from pathlib import Path

import sklearn

from agents.intents.classifier import IntentClassifier
from agents.intents.ports import StaleArtifact

__all__ = ["FileIntentModelStore"]

_FORMAT = "kcall-intent-classifier/1"


class FileIntentModelStore:
    """Artefacts as files in one directory (normally `settings.paths.data / "models"`)."""

    def __init__(self, directory: Path) -> None:
        """Keep artefacts under `directory` (made on the first write)."""
        self.directory = directory

    def locate(self, name: str) -> Path:
        """The artefact's file."""
        return self.directory / name

    def read(self, name: str) -> bytes:
        """The file's bytes, if it exists and only its owner may write it."""
        path = self.locate(name)
        if not path.is_file():
            raise StaleArtifact(f"{path} does not exist")
        if path.stat().st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            # Anyone else who can write it could make us unpickle their code.
            raise StaleArtifact(f"{path} is writable by other users")
        return path.read_bytes()

    def write(self, name: str, data: bytes) -> None:
        """Write the file through a temporary name and an atomic rename."""
        _write_atomically(self.locate(name), data)

    def encode(self, classifier: IntentClassifier) -> bytes:
        """The pickled model with its format and scikit-learn version."""
        payload = {"format": _FORMAT, "sklearn": sklearn.__version__, "classifier": classifier}
        return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)

    def decode(self, data: bytes, *, origin: str) -> IntentClassifier:
        """Unpickle `encode` output; only ever given bytes this project wrote (pickle).

        Args:
            data: The bytes, checked by the caller (the artefact's sha256).
            origin: Where they came from, for the error messages.
        """
        payload = pickle.loads(data)  # noqa: S301 - our own file, checked by the caller
        if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
            raise ValueError(f"{origin} is not an intent classifier file")
        if payload.get("sklearn") != sklearn.__version__:
            raise ValueError(f"{origin} was written by scikit-learn {payload.get('sklearn')}")
        classifier = payload["classifier"]
        if not isinstance(classifier, IntentClassifier):
            raise ValueError(f"{origin} holds {type(classifier).__name__}")
        return classifier


def _write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a unique temporary name and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Concurrent workers never see a half-written file; mkstemp makes it owner-only (0600).
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
