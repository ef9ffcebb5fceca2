"""The base of every domain value: a frozen pydantic model that rejects unknown fields."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Record"]


class Record(BaseModel):
    """A frozen value that rejects unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")
