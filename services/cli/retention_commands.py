"""CLI command: `kcall retention run` purges every kind of data past its retention period.

The periods are settings (KCALL_RETENTION_*); the README's "Retention" section lists each
kind, its period and how it goes. Kafka topics age by themselves (retention.ms, set when
`kcall topics` creates them), so this command covers the database, the checkpointer and
the files under the data directory.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Annotated

import typer

retention_app = typer.Typer(help="Data retention: purge what is past its period.",
                            no_args_is_help=True)  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(retention_app, name="retention")


def parse_now(text: str | None) -> datetime:
    """`--now` as an aware UTC instant (naive means UTC); unset = the system clock."""
    if text is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 time", param_hint="--now") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@retention_app.command("run")
def run_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go; delete nothing.")
    ] = False,
    now: Annotated[
        str | None,
        typer.Option(help="The clock, ISO 8601 (e.g. 2027-01-01T00:00:00+09:00); default: now."),
    ] = None,
) -> None:
    """Delete calls and all derived from them, logs, ledger rows and threads past their period."""
    from services.config import get_settings
    from services.db import create_engine_from_settings, make_engine, open_checkpointer
    from services.db.retention import CheckpointThreads, purge_database
    from services.db.retention_plan import DataKind, plan_retention
    from services.observability.retention import purge_log_files, purge_span_lines
    from services.observability.tracing import spans_file

    settings = get_settings()
    plan = plan_retention(settings.retention, parse_now(now))
    engine = create_engine_from_settings(settings)
    checkpointer_url = settings.agent.checkpointer_url or settings.database_url()
    checkpoint_engine = make_engine(checkpointer_url)
    try:
        with open_checkpointer(checkpointer_url) as saver:
            threads = CheckpointThreads(saver, checkpoint_engine)
            counts = purge_database(engine, plan, threads=threads, dry_run=dry_run)
    finally:
        checkpoint_engine.dispose()
        engine.dispose()
    counts[DataKind.TRACE_SPANS] += purge_span_lines(
        spans_file(settings), plan.calls, dry_run=dry_run
    )
    counts[DataKind.LOG_FILES] += purge_log_files(
        settings.paths.data / "logs", plan.calls, dry_run=dry_run
    )
    _print(counts, plan.now, dry_run=dry_run)


def _print(counts: Counter[str], now: datetime, *, dry_run: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from services.db.retention import HELD_CALLS
    from services.db.retention_plan import DataKind

    title = f"retention {'dry run' if dry_run else 'run'} at {now.isoformat(timespec='seconds')}"
    table = Table(title=title)
    table.add_column("kind")
    table.add_column("would delete" if dry_run else "deleted", justify="right")
    for kind in DataKind:
        table.add_row(str(kind), str(counts.get(str(kind), 0)))
    table.add_row(f"{HELD_CALLS} (kept: an approval is not settled)", str(counts[HELD_CALLS]))
    Console().print(table)
