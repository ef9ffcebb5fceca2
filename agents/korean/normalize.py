"""Spoken Korean numbers to written form (placeholder implementation; being filled in)."""

from __future__ import annotations

__all__ = ["normalize", "parse_korean_number"]


def normalize(text: str) -> str:
    """Return `text` with spoken numbers written as digits."""
    return text


def parse_korean_number(token: str) -> int | None:
    """Parse one spoken Korean number token, or return None."""
    return None
