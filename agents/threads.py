"""Checkpointer threads: the one config helper and the one approval thread id."""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig

__all__ = ["approval_thread_id", "thread_config"]


def thread_config(thread_id: str) -> RunnableConfig:
    """The graph config of one checkpointer thread (a call's thread id is its call_id)."""
    return {"configurable": {"thread_id": thread_id}}


def approval_thread_id(call_id: str, approval_id: str) -> str:
    """The thread an approval waits on."""
    return f"{call_id}/approval/{approval_id}"
