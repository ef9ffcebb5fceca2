"""LLM routing bench: model calls and tokens the graph's routing saves against no routing.

Runs the first N calls of the committed simulator test set (seed 20261123, disjoint from
training seed 13 and demo seed 7) through the real agent graph twice, against the real
embedded llama.cpp server (or KCALL_LLM_BASE_URL):

- routed (the graph as built): the LLM intent tier only below the fast tier's confidence
  threshold, claim extraction only when the rules find no claim, one summary per call
  and one explanation per dispute decision;
- baseline (`settings.agent.llm_for_everything`, the same graph): every customer
  utterance's intent and every dispute utterance's claim through the LLM, plus the same
  summaries and explanations.

Every model request is counted where it is made (the chat model's audit), failures
included; tokens are the server's `usage` of the requests that completed. The bench gives
each request a generous budget and keeps the breaker closed, so a slow moment on this
shared machine costs wall time, not requests. A second, small part sends each of the
graph's four schemas once unconstrained and once grammar-constrained, to decide whether
"sample free first, validate, retry with the grammar" would pay on the embedded model.

Last line: `RESULT {json}`; value = routed LLM tokens per call, baseline = no-routing
tokens per call, ratio = baseline / value (higher is better: tokens the routing saves).
Run: .venv/bin/python bench/llm_routing.py [--calls 8]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from agents.intents import IntentClassifier
from agents.prompts.claim import CLAIM_SYSTEM, ClaimExtraction, claim_user
from agents.prompts.explanation import (
    EXPLANATION_MAX_TOKENS,
    EXPLANATION_SYSTEM,
    Explanation,
    explanation_user,
)
from agents.prompts.intent import INTENT_SYSTEM_PROMPT, IntentChoice, intent_user
from agents.prompts.summary import SUMMARY_MAX_TOKENS, SUMMARY_SYSTEM, SummaryDraft, summary_user
from pipelines.bootstrap import load_intent_model
from pipelines.evaluation.graph_runs import eval_runtime, run_calls
from services.config import Settings
from services.llm import ChatMessage, OpenAICompatibleClient, build_chat_model, llm_endpoint
from simulator.testset import load_testset

BENCH_TIMEOUT_S = 180.0


class MemoryAudit:
    """The chat model's audit entries, kept in memory (one per model request)."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def record(self, *, call_id: str, actor: str, action: str, detail: dict[str, Any],
               latency_ms: float = 0.0, prompt_tokens: int = 0,
               completion_tokens: int = 0) -> None:
        self.entries.append({"action": action, "outcome": detail.get("outcome"),
                             "latency_ms": latency_ms, "prompt": prompt_tokens,
                             "completion": completion_tokens})


def run_mode(settings: Settings, base_url: str, intents: IntentClassifier, calls: int,
             *, everything: bool) -> dict[str, Any]:
    """One pass over the test set; model requests, tokens and fallbacks as counted."""
    agent = settings.agent.model_copy(update={"llm_for_everything": everything})
    settings = settings.model_copy(update={"agent": agent})
    testset = load_testset(limit=calls)
    audit = MemoryAudit()
    chat = build_chat_model(settings, base_url=base_url, audit=audit)
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="kcall-bench-routing-") as workdir, eval_runtime(
            settings, workdir=Path(workdir), world=testset.world, intents=intents,
            llm_base_url=None,  # the runtime's own model stays off: ours counts requests
        ) as runtime:
            counted = dataclasses.replace(runtime, context=dataclasses.replace(
                runtime.context, chat_model=chat))
            run = run_calls(counted, testset.calls)
    finally:
        chat.close()
    wall_s = time.perf_counter() - started
    return _totals(audit.entries, n_calls=len(testset.calls), wall_s=wall_s,
                   utterances=run.utterances)


def _totals(entries: list[dict[str, Any]], *, n_calls: int, wall_s: float,
            utterances: int) -> dict[str, Any]:
    by_node: dict[str, dict[str, float]] = {}
    latencies: dict[str, list[float]] = {}
    for entry in entries:
        node = entry["action"].removeprefix("model_call:")
        row = by_node.setdefault(node, {"requests": 0, "ok": 0, "tokens": 0})
        row["requests"] += 1
        row["ok"] += entry["outcome"] == "ok"
        row["tokens"] += entry["prompt"] + entry["completion"]
        if entry["prompt"] or entry["completion"]:
            latencies.setdefault(node, []).append(entry["latency_ms"])
    for node, values in latencies.items():
        by_node[node]["p50_ms"] = round(statistics.median(values), 1)
    tokens = sum(e["prompt"] + e["completion"] for e in entries)
    completed = [e for e in entries if e["prompt"] or e["completion"]]
    return {
        "calls": n_calls,
        "graph_events": utterances,
        "llm_requests": len(entries),
        "llm_requests_per_call": round(len(entries) / n_calls, 2),
        "tokens": tokens,
        "tokens_per_call": round(tokens / n_calls, 1),
        "prompt_tokens": sum(e["prompt"] for e in entries),
        "completion_tokens": sum(e["completion"] for e in entries),
        "tokens_per_request": round(tokens / len(completed), 1) if completed else 0.0,
        "model_latency_p50_ms": round(statistics.median(
            e["latency_ms"] for e in completed), 1) if completed else 0.0,
        "fallbacks_by_reason": dict(Counter(
            str(e["outcome"]) for e in entries if e["outcome"] != "ok")),
        "by_node": by_node,
        "wall_s": round(wall_s, 1),
    }


def _schema_cases() -> list[tuple[str, str, str, type[BaseModel], int]]:
    draft = ("확인해 보니 10월 청구서에 컬러링이 동의 없이 청구되었습니다. 동의 없는 부가서비스 "
             "요금으로 확인된 3,300원은 다음 달 요금에서 감면해 드리겠습니다.")
    transcript = ("고객: 신청도 안 한 컬러링 요금이 삼천삼백 원 나왔어요\n"
                  "상담원: 확인해 보겠습니다\n고객: 네 빨리 좀 해 주세요")
    return [
        ("classify_intent", INTENT_SYSTEM_PROMPT, intent_user("요금이 좀 이상한데 확인해 주세요"),
         IntentChoice, 24),
        ("extract_claim", CLAIM_SYSTEM,
         claim_user("지난달 뭔가 두 번 나간 것 같아요", today="2025-11-20", last_month="2025-10"),
         ClaimExtraction, 64),
        ("explain", EXPLANATION_SYSTEM,
         explanation_user(outcome="credit_issued", rule="vas_without_consent", amount_krw=3300,
                          facts="10월 청구서에 컬러링이 동의 없이 청구됨", draft=draft),
         Explanation, EXPLANATION_MAX_TOKENS),
        ("summarize", SUMMARY_SYSTEM,
         summary_user(facts="처리 결과: 3,300원 감면\n후속 조치: 없습니다.", transcript=transcript),
         SummaryDraft, SUMMARY_MAX_TOKENS),
    ]


def _valid(schema: type[BaseModel], text: str) -> bool:
    start, end = text.find("{"), text.rfind("}")  # lenient: allow fences around the object
    try:
        schema.model_validate_json(text[start:end + 1] if 0 <= start < end else text)
    except ValidationError:
        return False
    return True


async def free_vs_grammar(settings: Settings, base_url: str) -> dict[str, Any]:
    """Each schema once unconstrained, once constrained: latency, tokens, validity."""
    llm = settings.llm.model_copy(update={"timeout_s": BENCH_TIMEOUT_S, "max_retries": 0})
    report: dict[str, Any] = {}
    async with OpenAICompatibleClient(llm, base_url=base_url) as client:
        for node, system, user, schema, max_tokens in _schema_cases():
            messages: list[ChatMessage] = [{"role": "system", "content": system},
                                           {"role": "user", "content": user}]
            await client.chat(messages, max_tokens=1)  # both timed runs reuse the prefill
            row = {}
            for mode in ("free", "grammar"):
                result = await client.chat(
                    messages, max_tokens=max_tokens, schema_name=schema.__name__,
                    json_schema=schema.model_json_schema() if mode == "grammar" else None)
                row[mode] = {"ms": round(result.latency_ms),
                             "completion_tokens": result.usage.completion_tokens,
                             "ms_per_token": round(result.latency_ms / max(
                                 1, result.usage.completion_tokens), 1),
                             "valid": _valid(schema, result.text)}
            report[node] = row
    return report


def main() -> None:
    """Run both passes and the schema check; print a table and the RESULT line."""
    import asyncio

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=8, help="test-set calls per pass")
    parser.add_argument("--skip-schema-check", action="store_true")
    args = parser.parse_args()
    base = Settings()
    # Count requests, not timeouts: a generous budget and a breaker that stays closed.
    # Exact prompt tokens need the server's `usage`, which its streams do not carry.
    llm = base.llm.model_copy(update={
        "enabled": True, "timeout_s": BENCH_TIMEOUT_S, "node_timeout_s": {},
        "stream_to_cancel": False, "breaker_failures": 10_000, "max_retries": 0})
    settings = base.model_copy(update={"llm": llm})
    intents = load_intent_model(settings)
    intents.predict("안녕하세요")
    started = time.perf_counter()
    with llm_endpoint(settings) as base_url:
        routed = run_mode(settings, base_url, intents, args.calls, everything=False)
        baseline = run_mode(settings, base_url, intents, args.calls, everything=True)
        schema_check = ({} if args.skip_schema_check
                        else asyncio.run(free_vs_grammar(settings, base_url)))
    for name, row in (("routed", routed), ("llm_for_everything", baseline)):
        print(f"{name:20s} requests/call {row['llm_requests_per_call']:6.2f}  "
              f"tokens/call {row['tokens_per_call']:8.1f}  tokens/request "
              f"{row['tokens_per_request']:6.1f}  wall {row['wall_s']:6.1f}s  "
              f"fallbacks {row['fallbacks_by_reason']}")
        for node, stats in sorted(row["by_node"].items()):
            print(f"    {node:16s} requests {stats['requests']:4.0f} ok {stats['ok']:4.0f} "
                  f"tokens {stats['tokens']:7.0f} p50 {stats.get('p50_ms', 0):8.0f} ms")
    for node, row in schema_check.items():
        print(f"{node:16s} free {row['free']}  grammar {row['grammar']}")
    value = routed["tokens_per_call"]
    reference = baseline["tokens_per_call"]
    result = {
        "bench": "llm_routing",
        "value": value,
        "unit": "LLM tokens (prompt + completion) per call, routed graph",
        "baseline": reference,
        "ratio": round(reference / value, 2) if value else None,
        "details": {
            "testset": f"sim-eval-v2 (seed 20261123), first {args.calls} calls",
            "model": f"{settings.llm.model} ({'external' if base.llm.base_url else 'embedded'})",
            "requests_per_call": {"routed": routed["llm_requests_per_call"],
                                  "baseline": baseline["llm_requests_per_call"]},
            "requests_ratio": round(baseline["llm_requests"] / routed["llm_requests"], 2)
            if routed["llm_requests"] else None,
            "routed": routed,
            "llm_for_everything": baseline,
            "free_first_vs_grammar": schema_check,
            "wall_s": round(time.perf_counter() - started, 1),
        },
    }
    print("RESULT " + json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
