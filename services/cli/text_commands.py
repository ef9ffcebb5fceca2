"""CLI commands for Korean text: `kcall redact` and `kcall normalize` (stdin lines to stdout)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer


def redact_command(
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per line: text and spans.")
    ] = False,
) -> None:
    """Redact personal data from each line on stdin."""
    from agents.korean import redact

    for line in sys.stdin:
        text = line.rstrip("\n")
        result = redact(text)
        if as_json:
            spans = [
                {"start": s.start, "end": s.end, "kind": s.kind.value, "placeholder": s.placeholder}
                for s in result.spans
            ]
            payload = {"text": result.text, "spans": spans}
            sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(result.text + "\n")


def normalize_command() -> None:
    """Write spoken Korean numbers, money, dates and phone numbers in digits, line by line."""
    from agents.korean import normalize

    for line in sys.stdin:
        sys.stdout.write(normalize(line.rstrip("\n")) + "\n")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("redact")(redact_command)
    app.command("normalize")(normalize_command)
