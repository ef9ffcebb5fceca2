"""`kcall redact` and `kcall normalize` read lines on stdin and write lines on stdout."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from services.cli.main import app

runner = CliRunner()


def test_redact_lines() -> None:
    result = runner.invoke(app, ["redact"], input="제 번호는 010-1234-5678이에요\n안녕하세요\n")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["제 번호는 [전화번호]이에요", "안녕하세요"]


def test_redact_json() -> None:
    result = runner.invoke(app, ["redact", "--json"], input="공일공 일이삼사 오육칠팔로\n")
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)
    assert row == {
        "text": "[전화번호]로",
        "spans": [{"start": 0, "end": 13, "kind": "phone", "placeholder": "[전화번호]"}],
    }


def test_normalize_lines() -> None:
    result = runner.invoke(app, ["normalize"], input="삼만 이천 원\n이 요금\n")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["32000원", "이 요금"]
