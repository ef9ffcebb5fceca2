"""`kcall intent build` writes the artefact once; `kcall classify` then loads it, never trains."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli.main import app
from services.config import get_settings

pytestmark = pytest.mark.integration

runner = CliRunner()
# The hand-written seed set only: the same code path, a few seconds of training.
SEED_ONLY = ["--sim-utterances", "0"]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("KCALL_PATHS_DATA", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_build_once_then_classify_loads_the_artefact(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = runner.invoke(app, ["intent", "build", *SEED_ONLY])
    assert first.exit_code == 0, first.output
    assert "intent model built" in first.output
    [artefact] = (data_dir / "models").glob("intent-*.model")
    stamp = artefact.stat().st_mtime_ns

    again = runner.invoke(app, ["intent", "build", *SEED_ONLY])
    assert again.exit_code == 0, again.output
    assert "up to date" in again.output and str(artefact) in again.output

    with caplog.at_level(logging.INFO, logger="agents.intents.store"):
        classified = runner.invoke(
            app, ["classify", "--no-llm", *SEED_ONLY], input="로밍 요금이 왜 이렇게 많이 나왔죠\n"
        )
    assert classified.exit_code == 0, classified.output
    row = json.loads(classified.output.strip().splitlines()[-1])
    assert row["tier"] == "fast" and row["intent"] in {"roaming", "billing_dispute"}
    assert artefact.stat().st_mtime_ns == stamp, "classify loaded the artefact"
    assert not [r for r in caplog.records if "training it now" in r.getMessage()]


def test_a_damaged_artefact_is_rebuilt_with_a_warning(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert runner.invoke(app, ["intent", "build", *SEED_ONLY]).exit_code == 0
    [artefact] = (data_dir / "models").glob("intent-*.model")
    artefact.write_bytes(artefact.read_bytes()[:-100])  # a truncated copy, say

    with caplog.at_level(logging.WARNING, logger="agents.intents.store"):
        classified = runner.invoke(app, ["classify", "--no-llm", *SEED_ONLY], input="해지할게요\n")
    assert classified.exit_code == 0, classified.output
    assert json.loads(classified.output.strip().splitlines()[-1])["intent"] == "cancellation"
    assert any("sha256" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    rebuilt = runner.invoke(app, ["intent", "build", *SEED_ONLY])
    assert "up to date" in rebuilt.output
