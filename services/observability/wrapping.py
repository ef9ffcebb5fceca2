"""The pass-through part every stage-handler wrapper shares (metrics, tracing)."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipelines.stage import StageHandler
    from services.schemas import Topic

__all__ = ["HandlerWrapper"]


class HandlerWrapper:
    """Wraps a stage handler: same name and sources; offsets and revokes go to the inner.

    Subclasses override what they observe (handle, tick); the runner's optional probes
    (`handle_many`, `buffered`, ...) reach the inner handler through `__getattr__`.
    """

    def __init__(self, inner: StageHandler) -> None:
        self._inner = inner
        self.name: str = inner.name
        self.sources: tuple[Topic, ...] = inner.sources

    @property
    def inner(self) -> StageHandler:
        """The wrapped handler."""
        return self._inner

    def safe_offset(self, partition: int) -> int | None:
        """The inner handler's safe offset."""
        return self._inner.safe_offset(partition)

    def revoke(self, partitions: Collection[int]) -> None:
        """Revoke on the inner handler."""
        self._inner.revoke(partitions)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
