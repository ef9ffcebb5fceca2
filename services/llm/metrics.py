"""Prometheus metrics of model calls, by graph node."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = ["LLM_CALLS", "LLM_FALLBACKS", "LLM_LATENCY", "LLM_TOKENS"]

LLM_CALLS = Counter(
    "kcall_llm_calls", "Model calls by node and outcome (ok or a fallback reason).",
    ["node", "outcome"],
)
LLM_FALLBACKS = Counter(
    "kcall_llm_fallbacks", "Model calls that fell back to the deterministic path, by reason.",
    ["node", "reason"],
)
LLM_TOKENS = Counter(
    "kcall_llm_tokens", "Tokens spent by node; kind is prompt or completion.", ["node", "kind"]
)
LLM_LATENCY = Histogram(
    "kcall_llm_latency_seconds", "Model call latency including retries, by node.", ["node"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0),
)
