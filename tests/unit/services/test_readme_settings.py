"""README's settings table is the one the settings model produces."""

from __future__ import annotations

from pathlib import Path

from services.config.reference import settings_markdown

README = Path(__file__).resolve().parents[3] / "README.md"


def test_readme_lists_every_setting() -> None:
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- settings:begin -->\n", 1)[1].split("\n<!-- settings:end -->", 1)[0]
    assert block.strip() == settings_markdown().strip()


def test_ci_runs_the_readme_test_command() -> None:
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    command = [line for line in ci.splitlines() if line.strip() and not line.startswith("#")][-1]
    assert command in README.read_text(encoding="utf-8")
