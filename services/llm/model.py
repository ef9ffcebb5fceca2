"""Locate the embedded GGUF: assemble the configured catalog model once, verify it, never download.

The parts are found in the installed PyPI packages by import name without running their
code (`importlib.util.find_spec`), joined in order into a temporary file in
`<paths.data>/models/` while a sha256 is computed over the same bytes, and renamed into
place only when size and digest are the pinned ones. A stamp beside the model (`.verified`:
digest, size, mtime) lets later starts skip re-hashing a gigabyte; a file whose size or
mtime changed since is hashed again, and rebuilt from the parts if it no longer matches.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from services.config.settings import Settings
from services.llm.catalog import EmbeddedModel, embedded_model

__all__ = [
    "ModelChecksumError",
    "ModelNotAvailableError",
    "assemble_model",
    "embedded_model_path",
    "find_parts",
    "sha256_file",
]

_LOG = logging.getLogger(__name__)
_BLOCK = 8 << 20


class ModelNotAvailableError(RuntimeError):
    """The embedded model file cannot be found or built from the installed packages."""


class ModelChecksumError(ModelNotAvailableError):
    """A model file's bytes are not the pinned ones; it is refused, never loaded."""

    def __init__(self, path: Path, *, expected: str, found: str, detail: str = "") -> None:
        self.path, self.expected, self.found = path, expected, found
        super().__init__(
            f"refusing {path}: sha256 {found}, expected {expected}"
            + (f" ({detail})" if detail else "")
        )


def embedded_model_path(
    settings: Settings, *, on_part: Callable[[str], None] | None = None
) -> Path:
    """Return the GGUF the embedded server should load, assembling it on first use.

    `settings.llm.embedded_model_path` wins when set (it must exist; it is not pinned).
    Otherwise the catalog model named by `settings.llm.embedded_model` is assembled into
    `<paths.data>/models/` (see the module docstring).

    Raises:
        ModelNotAvailableError: the configured file is missing, a part package is not
            installed (the message names the pip packages), or a part has the wrong size.
        ModelChecksumError: the assembled file does not hash to the pinned sha256.
    """
    if settings.llm.embedded_model_path:
        configured = Path(settings.llm.embedded_model_path).expanduser()
        if not configured.is_file():
            raise ModelNotAvailableError(f"KCALL_LLM_EMBEDDED_MODEL_PATH not found: {configured}")
        return configured
    try:
        model = embedded_model(settings.llm.embedded_model)
    except KeyError as exc:
        raise ModelNotAvailableError(str(exc.args[0])) from exc
    return assemble_model(model, (settings.paths.data / "models").resolve(), on_part=on_part)


def assemble_model(
    model: EmbeddedModel, models_dir: Path, *, on_part: Callable[[str], None] | None = None
) -> Path:
    """`models_dir/<model.file_name>`, verified: reused when stamped, else built from parts.

    `on_part` is told each part's name once it is joined (a progress bar's step).

    Raises:
        ModelNotAvailableError: parts missing or of the wrong size.
        ModelChecksumError: the joined parts do not hash to `model.sha256`.
    """
    target = models_dir / model.file_name
    if target.is_file():
        if _stamp_matches(target, model):
            return target
        found = sha256_file(target)
        if found == model.sha256 and target.stat().st_size == model.size:
            _write_stamp(target, model)
            return target
        _LOG.warning(
            "%s: sha256 %s, expected %s; rebuilding it from the part packages",
            target, found, model.sha256,
        )
    parts = find_parts(model)
    models_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{model.file_name}.", suffix=".part", dir=models_dir)
    tmp = Path(tmp_name)
    try:
        _LOG.info("assembling %s from %d parts into %s", model.name, len(parts), target)
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(_BLOCK):
                        digest.update(block)
                        out.write(block)
                if on_part is not None:
                    on_part(part.name)
            out.flush()
            os.fsync(out.fileno())
        found = digest.hexdigest()
        if found != model.sha256:
            raise ModelChecksumError(
                target,
                expected=model.sha256,
                found=found,
                detail=f"joined from {_package_range(model)}; not installed, nothing loaded",
            )
        tmp.chmod(0o644)  # mkstemp makes it private; the model is not a secret
        os.replace(tmp, target)
    except OSError as exc:
        raise ModelNotAvailableError(f"could not assemble {target}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(target, model)
    return target


def find_parts(model: EmbeddedModel) -> list[Path]:
    """The part files in order, from the installed packages.

    Raises:
        ModelNotAvailableError: packages missing (all named, with the pip command) or a
            part file of the wrong size.
    """
    paths: list[Path] = []
    missing: list[str] = []
    for part in model.parts:
        spec = importlib.util.find_spec(part.module)
        roots = list(spec.submodule_search_locations or []) if spec else []
        found = next((Path(r) / part.relpath for r in roots if (Path(r) / part.relpath).is_file()),
                     None)
        if found is None:
            missing.append(part.requirement)
            continue
        size = found.stat().st_size
        if size != part.size:
            raise ModelNotAvailableError(
                f"{found} (package {part.requirement}) has {size} bytes, expected {part.size}; "
                f"reinstall it: pip install --force-reinstall {part.requirement}"
            )
        paths.append(found)
    if missing:
        raise ModelNotAvailableError(
            f"the embedded model {model.name!r} needs the PyPI package(s) {_listing(missing)} "
            f"(pip install {' '.join(missing)}); or set KCALL_LLM_EMBEDDED_MODEL to another "
            "model, KCALL_LLM_EMBEDDED_MODEL_PATH to a GGUF file, or KCALL_LLM_BASE_URL to an "
            "OpenAI-compatible server. Nothing is downloaded at run time."
        )
    return paths


def sha256_file(path: Path) -> str:
    """The file's sha256, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _stamp_matches(target: Path, model: EmbeddedModel) -> bool:
    try:
        stamp = json.loads(_stamp_path(target).read_text(encoding="utf-8"))
        stat = target.stat()
    except (OSError, ValueError):
        return False
    return isinstance(stamp, dict) and stamp == {
        "sha256": model.sha256, "size": model.size, "mtime_ns": stat.st_mtime_ns,
    } and stat.st_size == model.size


def _write_stamp(target: Path, model: EmbeddedModel) -> None:
    stamp = {"sha256": model.sha256, "size": model.size, "mtime_ns": target.stat().st_mtime_ns}
    tmp = _stamp_path(target).with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(stamp) + "\n", encoding="utf-8")
    os.replace(tmp, _stamp_path(target))


def _package_range(model: EmbeddedModel) -> str:
    first, last = model.parts[0], model.parts[-1]
    if len(model.parts) == 1:
        return first.requirement
    return f"{first.pip_name} .. {last.pip_name} {first.version}"


def _listing(names: Sequence[str]) -> str:
    if len(names) <= 4:
        return ", ".join(names)
    return f"{', '.join(names[:3])} and {len(names) - 3} more"
