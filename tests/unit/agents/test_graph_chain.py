"""agents.graph.chain: node functions run as one node leave the state they leave one by one."""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

from agents.graph.chain import chain
from agents.graph.state import CallState, DisputeState


def _dispute(seq: int, key: str | None, outcome: str) -> DisputeState:
    return DisputeState(seq=seq, claim={"period": None, "charge_kind": None, "amount_krw": None,
                                        "anomaly_hint": None, "source": "none"},
                        outcome=outcome, rule="r", amount_krw=0, invoice_id=None,
                        invoice_line_ids=[], confidence="clear", idempotency_key=key,
                        approval_id=None, credit_id=None, explanation="")


def first(state: CallState) -> CallState:
    seq = state.get("seq", 0) + 1
    return {"seq": seq, "assist": [*state.get("assist", []), "a"],
            "actions": [{"seq": seq, "node": "first", "text": "x"}],
            "utterances": [{"seq": seq, "speaker": "customer", "text": f"t{seq}"}],
            "disputes": [_dispute(seq, "k", "explained")], "processed_seqs": [seq]}


def second(state: CallState, runtime: Any) -> CallState:
    # Reads what `first` wrote, through plain values and reducers alike.
    seen = len(state.get("actions", [])), len(state.get("utterances", []))
    return {"assist": [*state.get("assist", []), f"b{seen}"],
            "actions": [{"seq": state["seq"], "node": "second", "text": "y"}],
            "disputes": [_dispute(state["seq"], "k", "credit_issued")],
            "processed_seqs": [state["seq"], 99],
            "insights": {str(state["seq"]): {"n": len(state.get("processed_seqs", []))}}}


def _graph(*, chained: bool) -> Any:
    builder = StateGraph(CallState)
    if chained:
        builder.add_node("both", chain(first, second))
        builder.add_edge(START, "both")
        builder.add_edge("both", END)
    else:
        builder.add_node("first", first)
        builder.add_node("second", second)
        builder.add_edge(START, "first")
        builder.add_edge("first", "second")
        builder.add_edge("second", END)
    return builder.compile(checkpointer=InMemorySaver())


def test_a_chain_leaves_the_state_its_nodes_leave_one_by_one() -> None:
    states = []
    for chained in (False, True):
        graph, config = _graph(chained=chained), {"configurable": {"thread_id": "t"}}
        for _ in range(3):  # later runs start from the checkpoint the earlier ones left
            state = graph.invoke({"call_id": "c"}, config)
        states.append(state)
    assert states[1] == states[0]
    assert states[0]["processed_seqs"] == [1, 2, 3, 99]
    assert [d["outcome"] for d in states[0]["disputes"]] == ["credit_issued"]
    assert states[0]["assist"][-2:] == ["a", "b(5, 3)"]
