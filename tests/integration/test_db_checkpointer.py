"""LangGraph checkpointers on real SQLite and PostgreSQL keep a thread's state across runs."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from services.db import open_checkpointer

pytestmark = pytest.mark.integration


class _State(TypedDict, total=False):
    count: int
    heard: Annotated[list[str], operator.add]
    approved: bool


def _count(state: _State) -> dict[str, Any]:
    return {"count": state.get("count", 0) + 1}


def _builder() -> StateGraph[_State]:
    builder = StateGraph(_State)
    builder.add_node("count", _count)
    builder.add_edge(START, "count")
    builder.add_edge("count", END)
    return builder


def test_state_survives_a_new_connection_per_thread_id(db_url: str) -> None:
    call_1 = {"configurable": {"thread_id": "call-1"}}
    with open_checkpointer(db_url) as saver:
        graph = _builder().compile(checkpointer=saver)
        assert graph.invoke({"heard": ["안녕하세요"]}, call_1)["count"] == 1
    # A fresh connection stands in for another worker taking over the partition.
    with open_checkpointer(db_url) as saver:
        graph = _builder().compile(checkpointer=saver)
        state = graph.invoke({"heard": ["요금이 이상해요"]}, call_1)
        assert state == {"count": 2, "heard": ["안녕하세요", "요금이 이상해요"]}
        other = graph.invoke({"heard": ["x"]}, {"configurable": {"thread_id": "call-2"}})
        assert other["count"] == 1


def _ask(state: _State) -> dict[str, Any]:
    return {"approved": bool(interrupt({"question": "승인하시겠습니까?"}))}


def test_interrupt_resumes_on_another_connection(db_url: str) -> None:
    builder = StateGraph(_State)
    builder.add_node("ask", _ask)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    config = {"configurable": {"thread_id": "call-approval"}}
    with open_checkpointer(db_url) as saver:
        paused = builder.compile(checkpointer=saver).invoke({"heard": ["a"]}, config)
        assert "__interrupt__" in paused
    with open_checkpointer(db_url) as saver:
        resumed = builder.compile(checkpointer=saver).invoke(Command(resume=True), config)
        assert resumed["approved"] is True
