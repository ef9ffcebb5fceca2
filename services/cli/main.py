"""The `kcall` command: one entrypoint, one sub-module per feature."""

from __future__ import annotations

import logging

import typer

from services.cli import (
    api_commands,
    asr_commands,
    broker_commands,
    config_commands,
    db_commands,
    demo,
    eval_commands,
    intent_commands,
    llm_commands,
    sim_commands,
    text_commands,
    worker_commands,
)

app = typer.Typer(
    name="kcall",
    help="Korean telecom call-center agent system.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

for _module in (
    demo,
    config_commands,
    db_commands,
    broker_commands,
    worker_commands,
    asr_commands,
    text_commands,
    intent_commands,
    llm_commands,
    api_commands,
    sim_commands,
    eval_commands,
):
    _module.register(app)


def run() -> None:
    """Console-script entrypoint."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # These narrate every connection, request and migration step at INFO.
    for noisy in ("kafka", "httpx", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app()
