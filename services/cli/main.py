"""The `kcall` command: one entrypoint, one sub-module per feature.

Every `*_commands` module is light at import (typer and the standard library): what a
command needs (Kafka, SQLAlchemy, Whisper, the graph...) is imported inside it, so
`kcall --help` and `kcall <group> --help` start in a fraction of a second. A test keeps
it that way (tests/unit/services/test_cli_startup.py).
"""

from __future__ import annotations

import logging

import typer

from services.cli import (
    api_commands,
    asr_commands,
    broker_commands,
    config_commands,
    db_commands,
    demo_commands,
    dlq_commands,
    eval_commands,
    intent_commands,
    keys_commands,
    llm_commands,
    loadtest_commands,
    retention_commands,
    sim_commands,
    text_commands,
    trace_commands,
    worker_commands,
)

app = typer.Typer(
    name="kcall",
    help="Korean telecom call-center agent system.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help: rich's panels cost about 0.1 s of imports on every `--help`.
    rich_markup_mode=None,
)

for _module in (
    demo_commands,
    loadtest_commands,
    config_commands,
    db_commands,
    broker_commands,
    dlq_commands,
    worker_commands,
    asr_commands,
    text_commands,
    intent_commands,
    llm_commands,
    api_commands,
    keys_commands,
    retention_commands,
    sim_commands,
    eval_commands,
    trace_commands,
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
