"""The write-behind checkpointer on real SQLite and PostgreSQL: memory until flush, then durable.

A fresh `open_checkpointer` connection stands in for another worker (or a restart): it sees
exactly what was flushed, never what was only in memory.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from services.db import open_checkpointer
from services.db.write_behind import WriteBehindSaver

pytestmark = pytest.mark.integration


class _State(TypedDict, total=False):
    count: int
    heard: Annotated[list[str], operator.add]
    approved: bool


def _count(state: _State) -> dict[str, Any]:
    return {"count": state.get("count", 0) + 1}


def _ask(state: _State) -> dict[str, Any]:
    return {"approved": bool(interrupt({"question": "승인하시겠습니까?"}))}


def _graph(saver: WriteBehindSaver, *, ask: bool = False) -> Any:
    builder = StateGraph(_State)
    builder.add_node("count", _count)
    builder.add_edge(START, "count")
    if ask:
        builder.add_node("ask", _ask)
        builder.add_edge("count", "ask")
        builder.add_edge("ask", END)
    else:
        builder.add_edge("count", END)
    return builder.compile(checkpointer=saver)


def _thread(name: str) -> RunnableConfig:
    return {"configurable": {"thread_id": name}}


def _durable_values(db_url: str, thread: str) -> dict[str, Any]:
    with open_checkpointer(db_url) as other:
        found = other.get_tuple(_thread(thread))
        return {} if found is None else dict(found.checkpoint["channel_values"])


def _durable_count(db_url: str, thread: str) -> int:
    with open_checkpointer(db_url) as other:
        return len(list(other.list(_thread(thread))))


def test_runs_stay_in_memory_until_flush_then_one_checkpoint_per_thread(db_url: str) -> None:
    with open_checkpointer(db_url) as durable:
        saver = WriteBehindSaver(durable).defer()
        graph = _graph(saver)
        for word in ("안녕하세요", "요금이", "이상해요"):
            graph.invoke({"heard": [word]}, _thread("call-1"), durability="exit")
        graph.invoke({"heard": ["x"]}, _thread("call-2"), durability="exit")
        assert graph.get_state(_thread("call-1")).values["count"] == 3  # read from memory
        assert saver.unflushed_threads() == {"call-1", "call-2"}
        assert _durable_values(db_url, "call-1") == {}
        assert saver.flush() == 2
        assert saver.unflushed == 0 and saver.flush() == 0
        assert _durable_count(db_url, "call-1") == 1
        assert _durable_values(db_url, "call-1")["heard"] == ["안녕하세요", "요금이", "이상해요"]
        # Runs after the flush go on from memory and are flushed again as one checkpoint.
        graph.invoke({"heard": ["네"]}, _thread("call-1"), durability="exit")
        saver.flush()
    assert _durable_count(db_url, "call-1") == 2
    with open_checkpointer(db_url) as durable:
        values = _graph(WriteBehindSaver(durable).defer()).get_state(_thread("call-1")).values
    assert values == {"count": 4, "heard": ["안녕하세요", "요금이", "이상해요", "네"]}


def test_a_channel_written_only_by_an_earlier_run_survives_the_flush(db_url: str) -> None:
    # PostgreSQL stores channel values per version: the flush must carry every version
    # written since the last flush, not only the last run's.
    with open_checkpointer(db_url) as durable:
        saver = WriteBehindSaver(durable).defer()
        graph = _graph(saver)
        graph.invoke({"heard": ["처음"]}, _thread("call-v"), durability="exit")
        graph.invoke({}, _thread("call-v"), durability="exit")  # only `count` changes
        saver.flush()
    assert _durable_values(db_url, "call-v") == {"count": 2, "heard": ["처음"]}


def test_an_interrupt_flushed_from_memory_resumes_on_another_connection(db_url: str) -> None:
    with open_checkpointer(db_url) as durable:
        saver = WriteBehindSaver(durable).defer()
        paused = _graph(saver, ask=True).invoke({"heard": ["a"]}, _thread("call-a"),
                                                durability="exit")
        assert "__interrupt__" in paused
        saver.flush()
    with open_checkpointer(db_url) as durable:
        graph = _graph(WriteBehindSaver(durable).defer(), ask=True)
        assert graph.get_state(_thread("call-a")).interrupts
        done = graph.invoke(Command(resume=True), _thread("call-a"), durability="exit")
    assert done == {"count": 1, "heard": ["a"], "approved": True}


def test_discard_drops_unflushed_state_and_the_read_cache(db_url: str) -> None:
    with open_checkpointer(db_url) as durable:
        saver = WriteBehindSaver(durable).defer()
        graph = _graph(saver)
        graph.invoke({"heard": ["kept"]}, _thread("call-d"), durability="exit")
        graph.invoke({"heard": ["other"]}, _thread("call-e"), durability="exit")
        saver.flush()
        graph.invoke({"heard": ["lost"]}, _thread("call-d"), durability="exit")
        graph.invoke({"heard": ["kept too"]}, _thread("call-e"), durability="exit")
        assert saver.discard(lambda thread_id: thread_id == "call-d") == 1
        assert saver.unflushed_threads() == {"call-e"}
        # Another owner wrote call-d meanwhile: read again from the database, not the cache.
        with open_checkpointer(db_url) as other:
            _graph(WriteBehindSaver(other)).invoke({"heard": ["new owner"]}, _thread("call-d"))
        assert graph.get_state(_thread("call-d")).values["heard"] == ["kept", "new owner"]


def test_without_defer_and_for_other_threads_it_writes_through(db_url: str) -> None:
    with open_checkpointer(db_url) as durable:
        saver = WriteBehindSaver(durable)
        _graph(saver).invoke({"heard": ["api"]}, _thread("chat-1"))
        assert _durable_values(db_url, "chat-1")["heard"] == ["api"]
        saver.defer()
        saver_graph = _graph(WriteBehindSaver(durable, deferrable=lambda t: "/approval/" not in t)
                             .defer())
        saver_graph.invoke({"heard": ["w"]}, _thread("c/approval/1"), durability="exit")
        assert _durable_values(db_url, "c/approval/1")["heard"] == ["w"]


def test_a_failed_flush_keeps_everything_pending_and_the_next_one_writes_it(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_checkpointer(db_url) as durable:
        saver = WriteBehindSaver(durable).defer()
        graph = _graph(saver)
        graph.invoke({"heard": ["a"]}, _thread("call-f1"), durability="exit")
        graph.invoke({"heard": ["b"]}, _thread("call-f2"), durability="exit")
        put, calls = durable.put, []

        def second_put_fails(*args: Any) -> RunnableConfig:
            calls.append(args)
            if len(calls) == 2:
                raise RuntimeError("database went away")
            return put(*args)

        monkeypatch.setattr(durable, "put", second_put_fails)
        with pytest.raises(RuntimeError):
            saver.flush()
        assert saver.unflushed_threads() == {"call-f1", "call-f2"}
        if db_url.startswith("sqlite"):  # one transaction: the first write was rolled back
            assert _durable_values(db_url, "call-f1") == {}
        assert saver.flush() == 2
    assert _durable_values(db_url, "call-f1")["heard"] == ["a"]
    assert _durable_values(db_url, "call-f2")["heard"] == ["b"]
