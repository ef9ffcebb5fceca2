"""Identifiers in a call view: masked for everyone, opened for the call's own customer."""

from __future__ import annotations

from typing import Any

from services.privacy import PiiVault

__all__ = ["reveal_identifiers"]


def reveal_identifiers(
    view: dict[str, Any], vault: PiiVault | None, *, owner: bool
) -> dict[str, Any]:
    """Drop every sealed value from `view`; for the owner, add the opened `value` next to it.

    A value that does not open (another key, a forged token) stays masked: the owner sees
    what staff see rather than an error.
    """
    summary = view.get("summary")
    items = summary.get("items") if isinstance(summary, dict) else None
    identifiers = items.get("identifiers") if isinstance(items, dict) else None
    for identifier in identifiers if isinstance(identifiers, list) else []:
        sealed = identifier.pop("sealed", None)
        if owner and vault is not None and isinstance(sealed, str):
            value = vault.open(str(identifier.get("kind", "")), sealed)
            if value is not None:
                identifier["value"] = value
    return view
