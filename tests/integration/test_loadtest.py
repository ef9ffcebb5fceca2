"""A 30 s open-loop load test on the embedded stack (broker, SQLite, agent and sink workers, API).

The same stack then takes a few seconds of assistant chat sessions on the API.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.cli.loadtest import LoadOptions, run_step, with_chat_keys
from services.cli.stack import local_stack, with_database
from services.config import Settings
from simulator.loadtest import LoadMode

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_thirty_second_text_load_and_chat_sessions_are_reported_in_full(tmp_path: Path) -> None:
    settings = with_database(Settings(), f"sqlite:///{tmp_path / 'load.db'}")
    # The model stage is extra to every decision; off, the run stays light on 2 cores.
    settings = settings.model_copy(
        update={"llm": settings.llm.model_copy(update={"enabled": False})}
    )
    options = LoadOptions(rate=0.5, duration_s=30.0, mode=LoadMode.TEXT, seed=3, speed=4.0,
                          timeout_s=180.0)  # fmt: skip
    out = tmp_path / "report"
    # One stack for both: the chat step needs the API with per-run customer keys.
    settings = with_chat_keys(settings)
    with local_stack(settings, run_dir=tmp_path, stages=("agent", "sink"),
                     api_keys=settings.api.api_keys) as stack:  # fmt: skip
        report = run_step(stack, options, out=out)
        chat_options = LoadOptions(rate=0.5, duration_s=4.0, mode=LoadMode.CHAT, seed=5,
                                   speed=8.0, timeout_s=60.0)  # fmt: skip
        chat = run_step(stack, chat_options, out=tmp_path / "chat", call_id_prefix="chat")

    saved = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert saved["offered"] == report["offered"]
    for name in ("report.html", "throughput.png", "latency.png", "lag.png", "cpu.png",
                 "memory.png"):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    offered = report["offered"]["calls"]
    assert offered > 0
    assert report["errors"]["count"] == 0
    assert report["missing_summaries"] == []
    assert report["achieved"]["sent"] == report["achieved"]["completed"] == offered
    assert report["arrival_slip_s"]["count"] == offered
    for stage in ("transcript→insight", "call end→summary"):
        assert report["latency_ms"][stage]["count"] > 0, stage
        assert report["latency_ms"][stage]["p95"] > 0, stage
    accuracy = report["accuracy"]
    assert accuracy["calls"] == offered
    assert 0.0 <= accuracy["intent_accuracy"] <= 1.0
    assert {"dispute_outcome_accuracy", "credit_exact_rate", "churn_f1"} <= set(accuracy)
    assert set(report["dlq"]) and all(count == 0 for count in report["dlq"].values())
    assert {"worker-agent", "worker-sink", "broker", "loadgen"} <= set(report["processes"])
    samples = report["series"]["samples"]
    assert len(samples) >= 10, "sampled about once a second"
    assert any("agent" in s["lag"] for s in samples), "lag read from the broker"

    # Chat: every session's messages answered over the stream, scored from the insights the
    # API published; the generator kept the messages' schedule.
    sessions = chat["offered"]["calls"]
    assert sessions > 0 and chat["errors"]["count"] == 0 and chat["missing_summaries"] == []
    assert chat["chat"]["messages"] == chat["chat"]["replies_ok"] > sessions
    assert chat["chat"]["errors"] == {}
    assert chat["chat"]["message_slip_s"]["max"] < 1.0
    for stage in ("chat message→first piece", "chat message→full reply"):
        assert chat["latency_ms"][stage]["count"] == chat["chat"]["messages"], stage
    assert chat["accuracy"]["calls"] == sessions
    assert 0.0 <= chat["accuracy"]["intent_accuracy"] <= 1.0
    assert "api" in chat["processes"]
