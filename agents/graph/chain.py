"""Several node functions run as one graph node: one superstep instead of several.

Every LangGraph superstep costs the same bookkeeping over the whole state (about 60
channels: task input, checkpoint copy, writes, a branch's fresh read), whatever the node
does, so nodes joined by plain edges on the per-utterance path run back to back inside
one node. Each function sees the state as the graph would have shown it after the one
before (its update applied with the state's reducers), and the node returns the updates
combined with the same reducers, so the graph's next state is the same.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any, Protocol, cast, get_args, get_origin, get_type_hints

from langgraph.runtime import Runtime

from agents.graph.context import AgentContext
from agents.graph.state import CallState

__all__ = ["ChainedNode", "chain"]

NodeFn = Callable[..., CallState]
_Reducer = Callable[[Any, Any], Any]


class ChainedNode(Protocol):
    """A graph node taking the state and the runtime (as LangGraph passes them)."""

    def __call__(self, state: CallState, runtime: Runtime[AgentContext]) -> CallState:
        """The node's update of the state."""
        ...


def _reducers() -> dict[str, tuple[_Reducer, type]]:
    """The reducer and the empty value's type of every accumulating CallState key."""
    found: dict[str, tuple[_Reducer, type]] = {}
    for key, hint in get_type_hints(CallState, include_extras=True).items():
        if get_origin(hint) is Annotated:
            kind, reducer = get_args(hint)[0], get_args(hint)[1]
            found[key] = (reducer, get_origin(kind) or kind)
    return found


_REDUCERS = _reducers()


def chain(*nodes: NodeFn) -> ChainedNode:
    """One node running `nodes` in order, each on the state the previous one left.

    Reducers combine associatively here: two appends make one longer append, two unions
    one union, two upserts one upsert in order (agents.graph.state).
    """
    wants_runtime = [len(inspect.signature(node).parameters) > 1 for node in nodes]

    def run(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
        view: dict[str, Any] = dict(state)
        update: dict[str, Any] = {}
        for node, with_runtime in zip(nodes, wants_runtime, strict=True):
            written = node(view, runtime) if with_runtime else node(view)
            for key, value in written.items():
                reducer = _REDUCERS.get(key)
                if reducer is None:
                    view[key] = update[key] = value
                    continue
                combine, empty = reducer
                current = view.get(key)
                view[key] = combine(empty() if current is None else current, value)
                update[key] = combine(update[key], value) if key in update else value
        return cast(CallState, update)

    run.__name__ = "+".join(node.__name__ for node in nodes)
    run.__doc__ = nodes[0].__doc__
    return run
