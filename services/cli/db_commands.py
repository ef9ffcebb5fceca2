"""CLI commands: `kcall db upgrade` runs migrations, `kcall db seed` loads a synthetic world."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

db_app = typer.Typer(help="Database: migrations and synthetic data.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade_command(
    revision: Annotated[str, typer.Argument(help="Alembic revision to reach.")] = "head",
) -> None:
    """Run the Alembic migrations on the configured database."""
    from sqlalchemy.engine import make_url

    from services.config import get_settings
    from services.db import current_revision, upgrade

    url = get_settings().database_url()
    upgrade(url, revision)
    shown = make_url(url).render_as_string(hide_password=True)
    typer.echo(f"{shown} is at revision {current_revision(url)}")


@db_app.command("seed")
def seed_command(
    seed: Annotated[int | None, typer.Option(help="World seed; default: simulator.seed.")] = None,
    customers: Annotated[
        int | None, typer.Option(help="How many customers; default: simulator.customers.")
    ] = None,
    today: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Reference date of the bills; default: today."),
    ] = None,
) -> None:
    """Generate the seeded synthetic billing world and insert what is missing (idempotent)."""
    from services.config import get_settings
    from services.db import create_engine_from_settings, seed_world
    from simulator.world import generate_world

    settings = get_settings()
    world = generate_world(
        seed=settings.simulator.seed if seed is None else seed,
        customers=settings.simulator.customers if customers is None else customers,
        today=today.date() if today else date.today(),
    )
    engine = create_engine_from_settings(settings)
    try:
        counts = seed_world(engine, world.billing)
    finally:
        engine.dispose()
    typer.echo(", ".join(f"{table} +{count}" for table, count in counts.items()))
