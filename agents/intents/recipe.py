"""The fast tier's recipe constants (no scikit-learn needed to read them, e.g. for `--help`)."""

from __future__ import annotations

__all__ = ["CODE_VERSION", "DEFAULT_SEED"]

# Bump when features, the classifier or augmentation change: old artefacts are then rebuilt.
CODE_VERSION = "intent-fast-v4"
DEFAULT_SEED = 13
