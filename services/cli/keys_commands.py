"""CLI commands: `kcall keys create|list|revoke` manage API keys while the API runs.

Only the argon2id hash of a key is stored; `create` prints the key once. A running API
picks up new keys at once and stops honouring a revoked key within
`api.key_cache_seconds`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from services.db.repositories.api_access import SqlApiKeyStore

# Written out so `--help` needs no API import; a test checks it against the API's roles.
_ROLES_HELP = "One of: customer, supervisor, ingest, viewer."

keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(keys_app, name="keys")


@contextmanager
def _store() -> Iterator[SqlApiKeyStore]:
    from services.config import get_settings
    from services.db import create_engine_from_settings, session_factory
    from services.db.repositories.api_access import SqlApiKeyStore

    engine = create_engine_from_settings(get_settings())
    try:
        yield SqlApiKeyStore(session_factory(engine))
    finally:
        engine.dispose()


@keys_app.command("create")
def create_command(
    role: Annotated[str, typer.Option(help=_ROLES_HELP)],
    subject: Annotated[
        str,
        typer.Option(
            help="What the key is bound to: the customer id (customer), the supervisor's "
            "name (supervisor), the system or screen (ingest, viewer)."
        ),
    ],
    label: Annotated[str, typer.Option(help="A note for `kcall keys list`.")] = "",
) -> None:
    """Create a key and print it once (only its hash is kept)."""
    from services.api.keys import DATABASE_ROLES, ROLE_SCOPES, issue_key

    if role not in ROLE_SCOPES:
        raise typer.BadParameter(
            f"role must be one of {', '.join(DATABASE_ROLES)}", param_hint="--role"
        )
    if not subject.strip() or len(subject) > 120:
        raise typer.BadParameter("1 to 120 characters", param_hint="--subject")
    new = issue_key()
    with _store() as store:
        store.create(
            key_id=new.key_id,
            secret_hash=new.secret_hash,
            role=role,
            subject=subject.strip(),
            label=label,
        )
    scopes = ", ".join(sorted(ROLE_SCOPES[role]))
    typer.echo(f"key id {new.key_id}: {role} bound to {subject.strip()} ({scopes})")
    typer.echo(new.key)


@keys_app.command("list")
def list_command(
    all_keys: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False,
) -> None:
    """Key ids, roles and bindings (never the keys)."""
    with _store() as store:
        keys = store.keys(include_revoked=all_keys)
    for key in keys:
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "live"
        typer.echo(
            f"{key.key_id}\t{key.role}\t{key.subject}\t{key.created_at:%Y-%m-%d %H:%M}\t"
            f"{state}\t{key.label}"
        )


@keys_app.command("revoke")
def revoke_command(key_id: Annotated[str, typer.Argument(help="The key id to revoke.")]) -> None:
    """Revoke a key (the API stops honouring it within api.key_cache_seconds)."""
    with _store() as store:
        revoked = store.revoke(key_id)
    if not revoked:
        typer.echo(f"no live key {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")
