"""The settings reference table (README and `kcall config` print it from the model itself)."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

from pydantic import BaseModel, SecretStr

from services.config.settings import Settings


def settings_rows() -> list[tuple[str, str, str]]:
    """(environment variable, default, description) for every setting."""
    rows: list[tuple[str, str, str]] = []
    for area, area_field in Settings.model_fields.items():
        model = area_field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        defaults = model()
        for name, field in model.model_fields.items():
            env = f"KCALL_{area.upper()}_{name.upper()}"
            default = getattr(defaults, name)
            shown = _shown(default)
            rows.append((env, shown, field.description or ""))
    return rows


def _shown(default: object) -> str:
    if default is None:
        return "unset"
    if isinstance(default, SecretStr):
        return "(secret)"
    if isinstance(default, Enum):
        return str(default.value)
    if isinstance(default, Path | str):
        return str(default)
    return json.dumps(default, ensure_ascii=False) if isinstance(default, dict) else repr(default)


def settings_markdown() -> str:
    """The rows as a markdown table."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for env, default, description in settings_rows():
        lines.append(f"| `{env}` | `{default}` | {description} |")
    return "\n".join(lines)
