"""The dependency direction of DESIGN.md holds (import-linter) and the code lints clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_import_contracts_hold() -> None:
    result = _run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean() -> None:
    result = _run(
        str(BIN / "ruff"), "check", "agents", "pipelines", "services", "simulator", "bench"
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_strict_is_clean() -> None:
    result = _run(str(BIN / "mypy"), "--incremental")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_the_vocabulary_contract_names_every_other_part_of_the_core() -> None:
    """import-linter cannot forbid "agents except agents.domain": the list must keep up."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"]
                    if c["source_modules"] == ["agents.domain"])
    parts = {f"agents.{path.stem}" for path in (ROOT / "agents").iterdir()
             if not path.name.startswith("_") and path.name != "domain"
             and (path.suffix == ".py" or (path / "__init__.py").exists())}
    assert parts <= set(contract["forbidden_modules"])
