"""CLI commands: `kcall config` prints every setting."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("config")(show_config)


def show_config(
    markdown: bool = typer.Option(False, "--markdown", help="the reference table as markdown"),
) -> None:
    """Print each setting with its value in force (secrets hidden)."""
    from services.config import get_settings
    from services.config.reference import settings_markdown, settings_rows

    if markdown:
        typer.echo(settings_markdown())
        return
    current = get_settings().model_dump(mode="json")
    for env, default, description in settings_rows():
        area, field = env.removeprefix("KCALL_").lower().split("_", 1)
        # model_dump masks SecretStr values as "**********".
        typer.echo(f"{env}={current[area][field]}    # {description or default}")
