"""A write-behind LangGraph checkpointer: a thread's newest checkpoint kept in memory until flush.

`WriteBehindSaver` wraps a durable saver (SQLite or PostgreSQL, `open_checkpointer`). It
passes everything through until `defer()` is called. Deferring, `put` and `put_writes` only
keep the newest checkpoint of each thread (and the pending writes of that checkpoint) in
memory, `get_tuple` reads memory first, and `flush()` writes the newest checkpoint of every
touched thread to the durable saver: one write per thread per flush instead of one per
graph run. Flushed checkpoints stay readable from a bounded cache, so the next run of a
call does not read its state back from the database.

Why it is safe (the agent stage): the stage flushes in `tick()`, after a poll batch and
before the runner commits its offsets, and its `safe_offset` never lets a commit pass an
offset whose state is not flushed yet. A crash before the flush loses only state whose
input offsets were never committed: the new owner re-reads those messages, the graph runs
them again from the last durable checkpoint, and every effect is idempotent (credits keyed
in the ledger, insights and summaries with ids derived from call and seq). A revoked
partition's unflushed threads are `discard`ed for the same reason, and the read cache is
dropped so state written meanwhile by another owner is read again.

Limits: `list` (state history) sees flushed checkpoints only, and the intermediate
checkpoints between two flushes are never stored (the agent's graph runs with
`durability="exit"`, which keeps none of them anyway). Channel values are shared with the
graph, not copied: nodes must return new values instead of mutating state in place, as
LangGraph expects. Async methods are not implemented (the stages are synchronous).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)

from services.db.checkpointer import one_transaction

__all__ = ["WriteBehindSaver"]

_Key = tuple[str, str]  # (thread_id, checkpoint_ns)
_Write = tuple[str, str, Any]  # (task_id, channel, value)


@dataclass(slots=True)
class _Pending:
    """The newest unflushed checkpoint of one thread."""

    config: RunnableConfig  # as `put` received it: names the parent checkpoint
    checkpoint: Checkpoint
    metadata: CheckpointMetadata
    # Every channel version written since the last flush: a saver that stores channel
    # blobs per version (PostgresSaver) must get all of them, not only the last run's.
    versions: ChannelVersions = field(default_factory=dict)


class WriteBehindSaver(BaseCheckpointSaver[Any]):
    """Keeps each thread's newest checkpoint in memory between flushes (after `defer()`).

    Args:
        durable: The saver that stores checkpoints for good.
        deferrable: Which thread ids may be deferred (others always write through), e.g.
            not the approval threads another process resumes.
        max_cached: Flushed threads kept readable in memory (least recently used dropped).
    """

    def __init__(
        self,
        durable: BaseCheckpointSaver[Any],
        *,
        deferrable: Callable[[str], bool] = lambda thread_id: True,
        max_cached: int = 1024,
    ) -> None:
        super().__init__(serde=durable.serde)
        self.durable = durable
        self._deferrable = deferrable
        self._max_cached = max_cached
        self._deferring = False
        self._lock = threading.RLock()
        self._pending: dict[_Key, _Pending] = {}
        self._writes: dict[tuple[str, str, str], dict[tuple[str, int], _Write]] = {}
        self._cache: OrderedDict[_Key, CheckpointTuple] = OrderedDict()

    def defer(self) -> WriteBehindSaver:
        """Start keeping writes in memory until `flush()` (the agent stage turns this on)."""
        self._deferring = True
        return self

    @property
    def unflushed(self) -> int:
        """Threads whose newest checkpoint is not durable yet."""
        with self._lock:
            return len(self._pending)

    def unflushed_threads(self) -> set[str]:
        """Thread ids whose newest checkpoint is not durable yet."""
        with self._lock:
            return {thread_id for thread_id, _ in self._pending}

    # -- reads -------------------------------------------------------------------------

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The newest (or the named) checkpoint: memory first, then the durable saver."""
        key, checkpoint_id = _key(config), _checkpoint_id(config)
        with self._lock:
            pending = self._pending.get(key)
            if pending is not None:
                if checkpoint_id in (None, pending.checkpoint["id"]):
                    return self._tuple_of(key, pending)
            elif (cached := self._cache.get(key)) is not None and (
                    checkpoint_id in (None, _checkpoint_id(cached.config))):
                self._cache.move_to_end(key)
                return cached
        found = self.durable.get_tuple(config)
        if found is not None and checkpoint_id is None and self._defers(key[0]):
            with self._lock:
                if key not in self._pending:
                    self._remember(key, found)
        return found

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Flushed checkpoints only (the durable saver's history)."""
        return self.durable.list(config, filter=filter, before=before, limit=limit)

    # -- writes ------------------------------------------------------------------------

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Keep the checkpoint as its thread's newest (or write it through)."""
        key = _key(config)
        if not self._defers(key[0]):
            with self._lock:
                self._cache.pop(key, None)
            return self.durable.put(config, checkpoint, metadata, new_versions)
        with self._lock:
            previous = self._pending.get(key)
            versions = {**previous.versions, **new_versions} if previous else dict(new_versions)
            self._pending[key] = _Pending(config, checkpoint, metadata, versions)
            self._cache.pop(key, None)
        return {"configurable": {"thread_id": key[0], "checkpoint_ns": key[1],
                                 "checkpoint_id": checkpoint["id"]}}

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Keep a task's pending writes beside their checkpoint (or write them through)."""
        key = _key(config)
        if not self._defers(key[0]):
            self.durable.put_writes(config, writes, task_id, task_path)
            return
        checkpoint_id = _checkpoint_id(config) or ""
        with self._lock:
            stored = self._writes.setdefault((*key, checkpoint_id), {})
            for index, (channel, value) in enumerate(writes):
                slot = (task_id, WRITES_IDX_MAP.get(channel, index))
                if slot[1] >= 0 and slot in stored:
                    continue  # a regular write is kept once, as the durable savers do
                stored[slot] = (task_id, channel, value)

    def flush(self) -> int:
        """Write each thread's newest checkpoint (and its pending writes) to the durable saver.

        One transaction where the durable saver allows it (SQLite: one commit). Returns the
        number of threads written. On an error everything stays pending (the error
        propagates; call again later): a flush is never half applied in memory.
        """
        with self._lock:
            if not self._pending:
                return 0
            with one_transaction(self.durable):
                for key, pending in self._pending.items():
                    saved = self.durable.put(pending.config, pending.checkpoint,
                                             pending.metadata, _latest(pending))
                    checkpoint_id = pending.checkpoint["id"]
                    for task_id, writes in _by_task(self._writes.get((*key, checkpoint_id), {})):
                        self.durable.put_writes(saved, writes, task_id)
            flushed, self._pending = self._pending, {}
            for key, pending in flushed.items():
                self._remember(key, self._tuple_of(key, pending))
                self._drop_writes(key)
            return len(flushed)

    def discard(self, threads: Callable[[str], bool]) -> int:
        """Forget unflushed state of the matching threads and the whole read cache.

        For partitions this worker lost: their uncommitted input is re-read by the new
        owner, which may write these threads from now on. Returns threads discarded.
        """
        with self._lock:
            lost = [key for key in self._pending if threads(key[0])]
            for key in lost:
                del self._pending[key]
                self._drop_writes(key)
            self._cache.clear()
            return len(lost)

    def delete_thread(self, thread_id: str) -> None:
        """Delete a thread everywhere."""
        with self._lock:
            for key in [k for k in [*self._pending, *self._cache] if k[0] == thread_id]:
                self._pending.pop(key, None)
                self._cache.pop(key, None)
                self._drop_writes(key)
        self.durable.delete_thread(thread_id)

    def get_next_version(self, current: Any, channel: None) -> Any:
        """The durable saver's versioning, so flushed checkpoints read back the same."""
        return self.durable.get_next_version(current, channel)

    # -- internals ---------------------------------------------------------------------

    def _defers(self, thread_id: str) -> bool:
        return self._deferring and self._deferrable(thread_id)

    def _tuple_of(self, key: _Key, pending: _Pending) -> CheckpointTuple:
        parent_id = _checkpoint_id(pending.config)
        parent: RunnableConfig | None = None
        if parent_id is not None:
            parent = {"configurable": {"thread_id": key[0], "checkpoint_ns": key[1],
                                       "checkpoint_id": parent_id}}
        writes = self._writes.get((*key, pending.checkpoint["id"]), {})
        return CheckpointTuple(
            config={"configurable": {"thread_id": key[0], "checkpoint_ns": key[1],
                                     "checkpoint_id": pending.checkpoint["id"]}},
            checkpoint=pending.checkpoint, metadata=pending.metadata, parent_config=parent,
            pending_writes=[writes[slot] for slot in sorted(writes)])

    def _remember(self, key: _Key, found: CheckpointTuple) -> None:
        self._cache[key] = found
        self._cache.move_to_end(key)
        while len(self._cache) > self._max_cached:
            self._cache.popitem(last=False)

    def _drop_writes(self, key: _Key) -> None:
        for stale in [k for k in self._writes if k[:2] == key]:
            del self._writes[stale]


def _key(config: RunnableConfig) -> _Key:
    configurable = config.get("configurable", {})
    return str(configurable["thread_id"]), str(configurable.get("checkpoint_ns", ""))


def _checkpoint_id(config: RunnableConfig) -> str | None:
    value = config.get("configurable", {}).get("checkpoint_id")
    return str(value) if value else None


def _latest(pending: _Pending) -> ChannelVersions:
    current = pending.checkpoint["channel_versions"]
    return {channel: current.get(channel, version) for channel, version in pending.versions.items()}


def _by_task(stored: dict[tuple[str, int], _Write]) -> list[tuple[str, list[tuple[str, Any]]]]:
    tasks: dict[str, list[tuple[str, Any]]] = {}
    for slot in sorted(stored):
        task_id, channel, value = stored[slot]
        tasks.setdefault(task_id, []).append((channel, value))
    return list(tasks.items())
