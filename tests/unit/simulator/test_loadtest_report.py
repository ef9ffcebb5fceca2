"""The load report aggregates what was measured (no invented numbers) and draws its files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.schemas import DisputeOutcome, Intent
from simulator import generate_world
from simulator.loadrun import SentCall
from simulator.loadtest import Dispatch, LoadMode, Shape, plan_load
from simulator.loadtest_probes import Sample, Sampler, child_processes, process_ticks_rss
from simulator.loadtest_report import LoadOutcome, build_report, write_report
from simulator.report import CallResult


def _outcome() -> LoadOutcome:
    world = generate_world(seed=7, customers=20)
    plans = plan_load(world, rate=1.0, duration_s=10.0, shape=Shape.POISSON, mode=LoadMode.TEXT,
                      seed=4, auto_credit_limit_krw=30_000)[:4]  # fmt: skip
    dispatches = [Dispatch(p, p.start_at_s + 0.01 * i, SentCall(p)) for i, p in enumerate(plans)]
    dispatches[-1] = Dispatch(plans[-1], plans[-1].start_at_s, None, "ConnectError: refused")
    results = [
        CallResult(call_id=p.call.call_id, scenario="x", expected_intent=Intent.ROAMING,
                   found_intent=Intent.ROAMING if i else Intent.OTHER, churn_expected=False,
                   churn_flagged=False, expected_outcome=DisputeOutcome.CREDIT_ISSUED if i == 1
                   else None, found_outcome=DisputeOutcome.CREDIT_ISSUED if i == 1 else None,
                   latencies_ms={"utterance→insight": [100.0 * (i + 1), 50.0],
                                 "call end→summary": [20.0]}, tokens=10 * i)
        for i, p in enumerate(plans[:3])
    ]  # fmt: skip
    samples = [Sample(float(t), {"worker-agent": 50.0 + t}, {"worker-agent": 300.0 + t},
                      {"agent": 3 - t}) for t in range(4)]  # fmt: skip
    return LoadOutcome(
        config={"rate": 1.0, "duration_s": 10.0, "mode": "text"},
        dispatches=dispatches,
        results=results,
        completed_at_s={r.call_id: 5.0 + i for i, r in enumerate(results)},
        samples=samples,
        dlq={"calls.transcripts.v1.dlq": 1},
        fallbacks=2,
    )


def test_the_report_counts_what_was_sent_done_and_measured() -> None:
    report = build_report(_outcome())
    assert report["offered"] == {"calls": 4, "per_s": 0.4}
    assert report["achieved"]["sent"] == 3 and report["achieved"]["completed"] == 3
    assert report["achieved"]["last_summary_s"] == 7.0
    assert report["achieved"]["completed_per_s"] == 1.0  # 3 summaries from 5 s to 7 s
    assert report["errors"]["count"] == 1 and "refused" in report["errors"]["first"][0]
    # Text calls enter as transcripts: their utterance→insight is reported as such.
    insight = report["latency_ms"]["transcript→insight"]
    assert insight["count"] == 6 and insight["max"] == 300.0
    assert report["accuracy"]["intent_accuracy"] == pytest.approx(2 / 3, abs=1e-3)
    assert report["accuracy"]["dispute_outcome_accuracy"] == 1.0
    assert report["tokens_per_call"] == 10.0
    assert report["processes"]["worker-agent"]["rss_mib_max"] == 303.0
    assert report["arrival_slip_s"]["max"] == pytest.approx(0.02)
    assert report["dlq"] == {"calls.transcripts.v1.dlq": 1} and report["fallbacks"] == 2


def test_write_report_leaves_json_html_and_plots(tmp_path: Path) -> None:
    report = build_report(_outcome())
    json_path, html_path = write_report(report, tmp_path)
    assert json.loads(json_path.read_text(encoding="utf-8"))["offered"]["calls"] == 4
    page = html_path.read_text(encoding="utf-8")
    for plot in ("throughput.png", "latency.png", "lag.png", "cpu.png", "memory.png"):
        assert (tmp_path / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f'src="{plot}"' in page
    assert "transcript→insight" in page


def test_proc_readings_find_this_process_and_its_children() -> None:
    ticks, rss = process_ticks_rss(os.getpid()) or (0, 0)
    assert rss > 10 * 2**20
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        assert child.pid in child_processes().values()
    finally:
        child.kill()
        child.wait()
    assert process_ticks_rss(child.pid) is None


def test_the_sampler_records_cpu_memory_and_lag_every_interval() -> None:
    with Sampler({"me": os.getpid()}, lag=lambda: {"agent": 7}, started=time.monotonic(),
                 interval_s=0.05) as sampler:  # fmt: skip
        deadline = time.monotonic() + 60
        while len(sampler.samples) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    samples = sampler.samples
    assert len(samples) >= 3
    assert all(s.lag == {"agent": 7} and s.rss_mib["me"] > 10 for s in samples)
    assert "me" in samples[-1].cpu_pct
    assert 0 <= samples[-1].cpu_pct["machine"] <= 100 * (os.cpu_count() or 1) + 1


def test_ramp_rates_are_parsed_and_bounded() -> None:
    import typer

    from services.cli.loadtest_commands import parse_rates

    assert parse_rates("2, 0.5,1,1") == [0.5, 1.0, 2.0]
    for bad in ("", "0", "abc", "1,500"):
        with pytest.raises(typer.BadParameter):
            parse_rates(bad)


