"""API load bench: sustained assistant-chat requests/s and p95 at a fixed concurrency.

The embedded stack as `kcall api` runs it: an embedded Kafka broker, a SQLite database
seeded with the simulator's world, the real agent runtime (intent model, graph,
checkpointer; LLM disabled, so the chat takes the deterministic path, the one whose
money decisions are code), uvicorn on a free loopback port. The load comes from locust
(headless, separate process), each simulated user a customer key of its own, sending bill,
policy and dispute questions in its own session.

Two phases in the same run, same users, same duration:

- baseline: `GET /v1/me` (authentication, rate limits, a database read and the access-log
  write: everything a chat turn pays except the graph);
- value: `POST /v1/chat/{session}/messages` (the whole turn, streamed as SSE).

Last line: `RESULT {json}`; value = chat requests/s, baseline = /v1/me requests/s,
ratio = value / baseline (the share of the plain API's throughput the chat keeps); p95s,
failures and the settings are in the JSON too.
Run: .venv/bin/python bench/api_load.py [--users 8] [--seconds 30]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from services.api import create_app
from services.config import ApiSettings, LlmSettings, PathSettings, Settings
from services.db import create_engine_from_settings, seed_world, upgrade
from simulator.world import generate_world

LOCUSTFILE = textwrap.dedent(
    """
    import itertools, json, os, uuid
    from locust import HttpUser, constant, task

    KEYS = json.loads(os.environ["BENCH_KEYS"])
    PHASE = os.environ["BENCH_PHASE"]
    QUESTIONS = [
        "이번 달 요금 얼마 나왔어요?",
        "요금제는 한 달에 몇 번 바꿀 수 있어요?",
        "소액결제가 두 번 청구된 것 같아요",
        "선택약정 할인은 얼마나 받을 수 있어요?",
    ]
    _next = itertools.count()

    class Customer(HttpUser):
        wait_time = constant(0)

        def on_start(self):
            n = next(_next)
            self.key = KEYS[n % len(KEYS)]
            self.session = f"bench-{n}-{uuid.uuid4().hex[:8]}"
            self.turn = 0

        @task
        def ask(self):
            headers = {"X-API-Key": self.key}
            if PHASE == "baseline":
                self.client.get("/v1/me", headers=headers, name="me")
                return
            text = QUESTIONS[self.turn % len(QUESTIONS)]
            self.turn += 1
            with self.client.post(
                f"/v1/chat/{self.session}/messages",
                json={"text": text},
                headers=headers,
                name="chat",
                catch_response=True,
            ) as response:
                if response.status_code != 200 or "event: done" not in response.text:
                    response.failure(f"{response.status_code}: {response.text[:120]}")
    """
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _settings(data: Path, customers: list[str]) -> Settings:
    keys = {f"bench-{cid}": ["chat", f"customer:{cid}"] for cid in customers}
    return Settings().model_copy(
        update={
            "paths": PathSettings(data=data),
            "llm": LlmSettings(enabled=False),
            "api": ApiSettings(
                api_keys=keys,
                rate_limit_per_minute=1_000_000,
                rate_limit_per_address_per_minute=1_000_000,
            ),
        }
    )


def _serve(settings: Settings, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the API did not become ready")


def _phase(
    phase: str, host: str, keys: list[str], users: int, seconds: int, work: Path
) -> dict[str, Any]:
    prefix = work / phase
    env = {**os.environ, "BENCH_KEYS": json.dumps(keys), "BENCH_PHASE": phase}
    command = [
        str(Path(sys.executable).with_name("locust")),
        "-f",
        str(work / "locustfile.py"),
        "--headless",
        "--host",
        host,
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{seconds}s",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    done = subprocess.run(
        command, env=env, check=False, capture_output=True, text=True, timeout=seconds + 120
    )
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise SystemExit(f"locust wrote no statistics (exit {done.returncode}):\n{done.stderr}")
    with stats.open(encoding="utf-8") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    row = rows["Aggregated"]
    return {
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "requests_per_s": round(float(row["Requests/s"]), 2),
        "p50_ms": float(row["50%"] or 0),
        "p95_ms": float(row["95%"] or 0),
        "p99_ms": float(row["99%"] or 0),
    }


def main() -> None:
    """Start the stack, run both phases, print a table and the RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=8, help="concurrent locust users")
    parser.add_argument("--seconds", type=int, default=30, help="duration of each phase")
    parser.add_argument("--customers", type=int, default=20, help="seeded customers (keys)")
    args = parser.parse_args()
    load_at_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="kcall-api-load-") as tmp:
        work = Path(tmp)
        world = generate_world(seed=7, customers=args.customers, today=date(2025, 7, 5))
        customers = [c.customer_id for c in world.billing.customers]
        settings = _settings(work, customers)
        upgrade(settings.database_url())
        engine = create_engine_from_settings(settings)
        seed_world(engine, world.billing)
        engine.dispose()
        (work / "locustfile.py").write_text(LOCUSTFILE, encoding="utf-8")
        port = _free_port()
        server = _serve(settings, port)
        host = f"http://127.0.0.1:{port}"
        keys = [f"bench-{cid}" for cid in customers]
        shown = {
            "users": args.users,
            "seconds_per_phase": args.seconds,
            "customer_keys": len(keys),
            "llm": "disabled (deterministic path)",
            "database": "sqlite (embedded)",
            "kafka": "embedded",
            "uvicorn_workers": 1,
            "cpus": os.cpu_count(),
        }
        print("settings: " + json.dumps(shown, ensure_ascii=False), flush=True)
        try:
            # A short warm-up so the first turns' one-off loads are not in either phase.
            _phase("chat", host, keys, 2, 5, work)
            baseline = _phase("baseline", host, keys, args.users, args.seconds, work)
            chat = _phase("chat", host, keys, args.users, args.seconds, work)
        finally:
            server.should_exit = True
            time.sleep(1)
    for name, row in (("GET /v1/me (baseline)", baseline), ("POST chat", chat)):
        print(
            f"{name:<22} {row['requests_per_s']:>8.2f} req/s  p50 {row['p50_ms']:>7.0f} ms  "
            f"p95 {row['p95_ms']:>7.0f} ms  failures {row['failures']}/{row['requests']}",
            flush=True,
        )
    value = chat["requests_per_s"]
    base = baseline["requests_per_s"]
    result = {
        "bench": "api_chat_requests_per_s",
        "value": value,
        "unit": "requests/s",
        "baseline": base,
        "ratio": round(value / base, 4) if base else None,
        "higher_is_better": "value and ratio (chat throughput / plain authenticated read)",
        "chat_p95_ms": chat["p95_ms"],
        "baseline_p95_ms": baseline["p95_ms"],
        "chat_failures": chat["failures"],
        "baseline_failures": baseline["failures"],
        "settings": shown,
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        "details": {"chat": chat, "baseline": baseline},
    }
    print("RESULT " + json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
