"""Live-path latency with the model on: the model stage against the model on the hot path.

Runs the same seeded text calls (straight to Kafka, at a fixed utterance rate) through two
fresh embedded stacks (tansu, SQLite, the embedded llama.cpp server, real workers):

- model stage (the design): the agent stage emits the rules' insight and summary at once
  and a model request beside each; the model stage answers later with a new revision;
- baseline (`KCALL_AGENT_MODEL_ON_HOT_PATH=true`, the old design): the agent stage asks the
  model inline (LLM intent tier when unsure, explanations, the summary) before emitting.

Both measure utterance→first insight and call end→first summary at the collector, with
the model busy in both. `--burn N` runs N CPU-bound processes beside it all (a busy
machine, as users have it). Last line: `RESULT {json}`; value = p95 utterance→insight of
the model-stage design (ms), baseline = the same for the hot-path design, ratio =
baseline / value (higher is better).
Run: .venv/bin/python bench/live_latency.py [--calls 10] [--burn 1]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import tempfile
import time
from pathlib import Path

from services.cli.demo import run_demo
from services.cli.stack import with_database
from services.config import get_settings
from simulator import generate_calls, generate_world
from simulator.report import LoadReport, render_markdown, summarize

STAGE = "utterance→insight"


def _burn() -> None:
    while True:
        pass


def _run(label: str, *, calls: int, arrival_s: float, speed: float, hot_path: bool) -> LoadReport:
    os.environ["KCALL_AGENT_MODEL_ON_HOT_PATH"] = "true" if hot_path else "false"
    os.environ["KCALL_KAFKA_FETCH_MAX_WAIT_MS"] = "20"
    settings = get_settings()
    run_dir = Path(tempfile.mkdtemp(prefix=f"kcall-live-{label}-"))
    settings = with_database(settings, f"sqlite:///{run_dir / 'kcall.db'}")
    world = generate_world(seed=settings.simulator.seed, customers=settings.simulator.customers)
    scripted = generate_calls(world, seed=settings.simulator.seed, n=calls,
                              auto_credit_limit_krw=settings.agent.auto_credit_limit_krw)
    stages = ("agent", "sink") if hot_path else ("agent", "sink", "model")
    started = time.monotonic()
    outcome = run_demo(settings, run_dir=run_dir, scripted=scripted, n_audio=0, n_http=0,
                       speed=speed, arrival_s=arrival_s, timeout_s=300.0, model_wait_s=0.0,
                       stages=stages)
    report = summarize(outcome.results, wall_s=time.monotonic() - started)
    print(f"\n## {label}\n\n{render_markdown(report)}")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--arrival-s", type=float, default=20.0)
    parser.add_argument("--speed", type=float, default=4.0, help="playback speed vs real time")
    parser.add_argument("--burn", type=int, default=0, help="CPU-bound processes beside it")
    args = parser.parse_args()
    burners = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(args.burn)]
    for burner in burners:
        burner.start()
    try:
        common = {"calls": args.calls, "arrival_s": args.arrival_s, "speed": args.speed}
        design = _run("model stage", hot_path=False, **common)
        baseline = _run("model on the hot path (baseline)", hot_path=True, **common)
    finally:
        for burner in burners:
            burner.terminate()
    value, base = design.latency[STAGE].p95, baseline.latency[STAGE].p95
    end = "call end→summary"
    print(json.dumps({"burners": args.burn, "load": os.getloadavg()[0]}))
    print("RESULT " + json.dumps({
        "bench": "live_latency", "value": round(value, 1), "unit": "ms p95 utterance→insight",
        "baseline": round(base, 1), "ratio": round(base / value, 2) if value else None,
        "p50_ms": round(design.latency[STAGE].p50, 1),
        "p99_ms": round(design.latency[STAGE].p99, 1),
        "end_to_summary_p95_ms": round(design.latency[end].p95, 1),
        "baseline_end_to_summary_p95_ms": round(baseline.latency[end].p95, 1),
        "calls_summarized": f"{design.completed}/{design.calls}",
        "baseline_calls_summarized": f"{baseline.completed}/{baseline.calls}",
        "burners": args.burn}, ensure_ascii=False))


if __name__ == "__main__":
    main()
