"""Agent-stage throughput with durable per-call state: write-behind design vs a naive baseline.

Transcripts only (seeded simulator text calls, redacted, produced straight to Kafka), the
fast intent tier, the LLM off. Each run is a fresh embedded tansu broker and a fresh SQLite
file (application tables and LangGraph checkpoints), with the real agent stage
(`run_stage` over the production handler: reordering buffer + AgentHandler) in its own
process, as `kcall worker agent` runs it:

- design: the runner's batch path, one graph run per call per poll batch (up to 8 turns
  of the call) with `durability="exit"` on the write-behind checkpointer, flushed to
  SQLite once per poll batch, before the commit;
- baseline (naive): the same graph once per message (`batch_turns=1`) with a per-step
  checkpointer (`durability="sync"` straight on the SQLite saver).

Throughput: all calls are produced first (`--concurrent` calls interleaved, as a call
centre has them), then the stage starts; utterances/s = utterances / (stage ready → last
summary out). Latency (design only): new calls at a fixed `--rate` utterances/s,
produce → insight at a collector, p50/p95/p99. `--burn N` runs N CPU-bound processes
beside it all. Last line: `RESULT {json}`; value = design utterances/s, baseline = the
naive one's, ratio = value / baseline.
Run: .venv/bin/python bench/agent_throughput.py [--calls 300] [--rate 50] [--burn 1]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import multiprocessing
import os
import statistics
import time
from typing import Any

from _workers import agent_bench_settings, fresh_database, run_in_process, worker_group

from agents.graph import AgentGraph, build_graph
from agents.korean import redact
from pipelines.bootstrap import AgentRuntime, build_agent_runtime, load_intent_model
from pipelines.workers import reordering_agent_handler
from services.broker import Publisher
from services.broker.embedded import EmbeddedBroker
from services.broker.topics import ensure_topics
from services.cli.stack import with_database
from services.config import Settings, get_settings
from services.schemas import CallEnded, CallStarted, Message, Speaker, Topic, Utterance
from simulator import ScriptedCall, generate_calls, generate_world
from simulator.collector import OutputCollector

log = logging.getLogger("bench.agent_throughput")


class NaiveGraph:
    """The compiled graph, run with a checkpoint write after every step (the baseline)."""

    def __init__(self, graph: AgentGraph) -> None:
        self._graph = graph

    def invoke(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["durability"] = "sync"
        return self._graph.invoke(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._graph, name)


def _burn() -> None:
    while True:
        pass


def _messages(calls: list[ScriptedCall], concurrent: int) -> list[Message]:
    """Start, utterances and end of every call, `concurrent` calls interleaved turn by turn."""
    queue = list(calls)
    active: list[tuple[ScriptedCall, int]] = []
    out: list[Message] = []
    while queue or active:
        while queue and len(active) < concurrent:
            call = queue.pop(0)
            out.append(CallStarted(call_id=call.call_id, customer_id=call.customer_id))
            active.append((call, 0))
        still: list[tuple[ScriptedCall, int]] = []
        for call, seq in active:
            turn = call.turns[seq]
            out.append(Utterance(call_id=call.call_id, seq=seq, speaker=turn.speaker,
                                 text=redact(turn.text).text, start_ms=seq * 3000,
                                 end_ms=seq * 3000 + 2500, confidence=1.0, source="text"))
            if seq + 1 < len(call.turns):
                still.append((call, seq + 1))
            else:
                out.append(CallEnded(call_id=call.call_id, utterances=len(call.turns)))
        active = still
    return out


def _stage(url: str, bootstrap: str, naive: bool, ready: Any, stop: Any) -> None:
    """The agent stage in its own process (as `kcall worker agent` runs it)."""
    logging.basicConfig(level=logging.WARNING)
    settings = with_database(get_settings(), url)
    with build_agent_runtime(settings, llm_base_url=None,
                             intents=load_intent_model(settings)) as runtime:
        handler = reordering_agent_handler(_naive(runtime) if naive else runtime)
        if naive:  # one graph run per utterance, as before micro-batching
            agent: Any = handler.inner
            agent.batch_turns = 1
        run_in_process(handler, bootstrap=bootstrap, settings=settings, ready=ready, stop=stop)


def _run(settings: Settings, calls: list[ScriptedCall], *, naive: bool, concurrent: int,
         rate: float, latency_s: float, latency_calls: list[ScriptedCall]) -> dict[str, Any]:
    label = "baseline" if naive else "design"
    url = fresh_database(settings, f"kcall-throughput-{label}")
    settings = with_database(settings, url)
    messages = _messages(calls, concurrent)
    utterances = sum(isinstance(m, Utterance) for m in messages)
    customer = sum(isinstance(m, Utterance) and m.speaker is Speaker.CUSTOMER for m in messages)
    ids = {c.call_id for c in calls}
    result: dict[str, Any] = {"label": label, "utterances": utterances, "calls": len(calls)}
    with EmbeddedBroker() as broker, \
            OutputCollector(broker.bootstrap, settings.kafka) as collector, \
            Publisher(broker.bootstrap, settings.kafka, client_id="bench") as publisher:
        ensure_topics(settings.kafka, broker.bootstrap)
        for message in messages:
            publisher.send(Topic.TRANSCRIPTS, message)
        publisher.flush()
        with worker_group(_stage, (url, broker.bootstrap, naive), workers=1,
                          what="the agent stage", join_timeout_s=180):
            started = time.monotonic()
            missing = collector.wait_for_summaries(ids, timeout_s=900)
            ends = [collector.observation(c).summary for c in ids]
            finished = max(s[1] for s in ends if s is not None)
            insights = 0
            for _ in range(20):  # insights may come in a moment after their call's summary
                insights = sum(len(collector.observation(c).insights) for c in ids)
                if insights >= customer:
                    break
                time.sleep(0.25)
            wall = finished - started
            firsts = [at for c in ids for _, at in collector.observation(c).insights.values()]
            warmup = min(firsts) - started if firsts else float("nan")
            result.update(wall_s=round(wall, 2), utt_per_s=round(utterances / wall, 1),
                          first_insight_s=round(warmup, 2),
                          missing_summaries=len(missing), insights=insights,
                          expected_insights=customer)
            print(f"{label}: {utterances} utterances of {len(calls)} calls in {wall:.1f} s = "
                  f"{utterances / wall:.1f} utt/s, first insight after {warmup:.2f} s "
                  f"({insights}/{customer} insights, "
                  f"{len(missing)} summaries missing)", flush=True)
            if latency_s > 0:
                result.update(_latency(publisher, collector, latency_calls, rate=rate,
                                       seconds=latency_s, concurrent=concurrent))
    return result


def _naive(runtime: AgentRuntime) -> AgentRuntime:
    graph: Any = NaiveGraph(build_graph(runtime.checkpoints.durable))
    return dataclasses.replace(runtime, graph=graph)


def _latency(publisher: Publisher, collector: OutputCollector, calls: list[ScriptedCall], *,
             rate: float, seconds: float, concurrent: int) -> dict[str, Any]:
    """Produce new calls at `rate` utterances/s for `seconds`; produce → insight percentiles."""
    messages = _messages(calls, concurrent)
    sent: dict[tuple[str, int], float] = {}
    started = time.monotonic()
    produced = 0
    for message in messages:
        if isinstance(message, Utterance):
            if produced >= rate * seconds:
                break
            delay = started + produced / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            produced += 1
        publisher.send(Topic.TRANSCRIPTS, message)
        if isinstance(message, Utterance) and message.speaker is Speaker.CUSTOMER:
            sent[(message.call_id, message.seq)] = time.monotonic()
    publisher.flush()
    deadline = time.monotonic() + 60
    latencies: list[float] = []
    while time.monotonic() < deadline:
        latencies = []
        for (call_id, seq), at in sent.items():
            seen = collector.observation(call_id).insights.get(seq)
            if seen is not None:
                latencies.append((seen[1] - at) * 1000)
        if len(latencies) == len(sent):
            break
        time.sleep(0.5)
    ordered = sorted(latencies)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else []

    def pct(p: int) -> float:
        return round(cuts[p - 1], 1) if cuts else float("nan")

    figures = {"rate": rate, "latency_utterances": produced,
               "latency_insights": f"{len(latencies)}/{len(sent)}",
               "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99)}
    print(f"latency at {rate:.0f} utt/s: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
          f"p99 {figures['p99_ms']} ms ({len(latencies)}/{len(sent)} insights)", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    # 300 calls: the design's run lasts about 10 s, so its start (first fetch, cold caches,
    # about a second) no longer weighs a fifth of it as it did at 100 calls (5 s).
    parser.add_argument("--calls", type=int, default=300, help="calls in the throughput runs")
    parser.add_argument("--concurrent", type=int, default=40, help="calls open at once")
    parser.add_argument("--rate", type=float, default=50.0, help="utterances/s, latency run")
    parser.add_argument("--latency-s", type=float, default=20.0, help="latency run length")
    parser.add_argument("--burn", type=int, default=0, help="CPU-bound processes beside it")
    parser.add_argument("--fetch-max-wait-ms", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = agent_bench_settings(fetch_max_wait_ms=args.fetch_max_wait_ms)
    world = generate_world(seed=settings.simulator.seed, customers=settings.simulator.customers)
    everything = generate_calls(world, seed=settings.simulator.seed,
                                n=args.calls + int(args.rate * args.latency_s / 5) + 20,
                                auto_credit_limit_krw=settings.agent.auto_credit_limit_krw)
    calls, latency_calls = everything[:args.calls], everything[args.calls:]
    burners = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(args.burn)]
    for burner in burners:
        burner.start()
    try:
        common: dict[str, Any] = {"concurrent": args.concurrent, "rate": args.rate}
        design = _run(settings, calls, naive=False, latency_s=args.latency_s,
                      latency_calls=latency_calls, **common)
        baseline = _run(settings, calls, naive=True, latency_s=0,
                        latency_calls=[], **common)
    finally:
        for burner in burners:
            burner.terminate()
    value, base = design["utt_per_s"], baseline["utt_per_s"]
    print("\n| run | utterances | wall s | utt/s | first insight s | insights | p50 ms | p95 ms "
          "| p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for run in (design, baseline):
        print(f"| {run['label']} | {run['utterances']} | {run['wall_s']} | {run['utt_per_s']} | "
              f"{run['first_insight_s']} | "
              f"{run['insights']}/{run['expected_insights']} | {run.get('p50_ms', '-')} | "
              f"{run.get('p95_ms', '-')} | {run.get('p99_ms', '-')} |")
    print("RESULT " + json.dumps({
        "bench": "agent_throughput", "value": value, "unit": "utterances/s",
        "baseline": base, "ratio": round(value / base, 2) if base else None,
        "p50_ms": design.get("p50_ms"), "p95_ms": design.get("p95_ms"),
        "p99_ms": design.get("p99_ms"), "rate": args.rate, "burn": args.burn,
        "calls": args.calls, "utterances": design["utterances"],
        "fetch_max_wait_ms": args.fetch_max_wait_ms, "cpus": os.cpu_count()}, ensure_ascii=False))


if __name__ == "__main__":
    main()
