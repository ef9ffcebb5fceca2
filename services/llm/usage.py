"""Token accounting: usage per model call, summed per call_id and per graph node."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["TokenUsage", "UsageLedger", "UsageTotals"]


@dataclass(frozen=True)
class TokenUsage:
    """Tokens of one completion.

    `exact` is True when the numbers come from the server's `usage` object: every reply of
    vLLM, OpenAI and our embedded server (services/llm/serve.py adds usage to the last
    chunk of its streams). A stream from a bare llama-cpp-python server carries none and is
    estimated from its deltas: about one content delta per generated token (a Korean
    syllable split over two tokens arrives as one delta), prompt tokens unknown (0).
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    exact: bool = True

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    @classmethod
    def from_openai(cls, usage: Mapping[str, Any] | None) -> TokenUsage | None:
        """Read an OpenAI `usage` object; None when it is missing or malformed."""
        if not isinstance(usage, Mapping):
            return None
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if not isinstance(prompt, int) or not isinstance(completion, int):
            return None
        return cls(prompt_tokens=prompt, completion_tokens=completion, exact=True)


@dataclass(frozen=True)
class UsageTotals:
    """Sums over a set of model calls."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated_calls: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def plus(self, usage: TokenUsage) -> UsageTotals:
        """These totals with one more call added."""
        return UsageTotals(
            calls=self.calls + 1,
            prompt_tokens=self.prompt_tokens + usage.prompt_tokens,
            completion_tokens=self.completion_tokens + usage.completion_tokens,
            estimated_calls=self.estimated_calls + (0 if usage.exact else 1),
        )


class UsageLedger:
    """Thread-safe running totals by call_id, by node and overall.

    Kept in memory for the life of the process (one entry per call and node), so a
    long-running worker should `forget(call_id)` when a call ends and its tokens are
    written to the call summary.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_call: dict[str, UsageTotals] = defaultdict(UsageTotals)
        self._by_node: dict[str, UsageTotals] = defaultdict(UsageTotals)
        self._by_call_node: dict[tuple[str, str], UsageTotals] = defaultdict(UsageTotals)
        self._overall = UsageTotals()

    def record(self, *, call_id: str, node: str, usage: TokenUsage) -> None:
        """Add one model call."""
        with self._lock:
            self._by_call[call_id] = self._by_call[call_id].plus(usage)
            self._by_node[node] = self._by_node[node].plus(usage)
            key = (call_id, node)
            self._by_call_node[key] = self._by_call_node[key].plus(usage)
            self._overall = self._overall.plus(usage)

    def total(self, *, call_id: str | None = None, node: str | None = None) -> UsageTotals:
        """Totals for one call, one node, one node within one call, or everything."""
        with self._lock:
            if call_id is not None and node is not None:
                return self._by_call_node.get((call_id, node), UsageTotals())
            if call_id is not None:
                return self._by_call.get(call_id, UsageTotals())
            if node is not None:
                return self._by_node.get(node, UsageTotals())
            return self._overall

    def by_node(self, *, call_id: str | None = None) -> dict[str, UsageTotals]:
        """Totals per node, for all calls or for one call."""
        with self._lock:
            if call_id is None:
                return dict(self._by_node)
            return {n: t for (c, n), t in self._by_call_node.items() if c == call_id}

    def forget(self, call_id: str) -> UsageTotals:
        """Drop one call's entries (its node and overall sums stay); return its totals."""
        with self._lock:
            for key in [k for k in self._by_call_node if k[0] == call_id]:
                del self._by_call_node[key]
            return self._by_call.pop(call_id, UsageTotals())
