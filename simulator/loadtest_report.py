"""The load-test report: one JSON document and an HTML page with PNG plots beside it.

`build_report` is pure (dispatches, per-call results and samples in, a JSON-able dict out);
`write_report` renders it. matplotlib is imported only there, with the Agg backend, so a
machine without a display (CI) draws the same plots.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from simulator.chat_load import ChatReply
from simulator.loadrun import Mode
from simulator.loadtest import Dispatch
from simulator.loadtest_probes import Sample
from simulator.report import CallResult, percentile, summarize

__all__ = ["LoadOutcome", "build_report", "stage_name", "write_report"]


@dataclass(frozen=True)
class LoadOutcome:
    """Everything one run measured, before aggregation."""

    config: Mapping[str, Any]
    dispatches: Sequence[Dispatch]
    results: Sequence[CallResult]
    completed_at_s: Mapping[str, float]
    samples: Sequence[Sample]
    dlq: Mapping[str, int] = field(default_factory=dict)
    fallbacks: int = 0
    missing: Sequence[str] = ()
    chat: Sequence[ChatReply] = ()


def stage_name(stage: str, mode: Mode) -> str:
    """Text calls enter as transcripts, so their utterance→insight is transcript→insight."""
    if stage == "utterance→insight" and mode is not Mode.AUDIO:
        return "transcript→insight"
    return stage


def _num(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)


def _dist(values: Sequence[float]) -> dict[str, float | int | None]:
    return {
        "count": len(values),
        **{f"p{q}": _num(percentile(values, q)) for q in (50, 95, 99)},
        "max": _num(max(values)) if values else None,
    }


def build_report(outcome: LoadOutcome) -> dict[str, Any]:
    """Aggregate a run into the JSON document the HTML page and `--ramp` read."""
    duration = float(outcome.config["duration_s"])
    modes = {d.plan.call.call_id: d.plan.mode for d in outcome.dispatches}
    sent_at = {d.plan.call.call_id: d.sent_at_s for d in outcome.dispatches}
    sent_ok = [d for d in outcome.dispatches if d.error is None]
    done_at = sorted(outcome.completed_at_s.values())
    last_done = done_at[-1] if done_at else duration
    # Completions per second between the first and the last summary: the rate the system
    # finished calls at, without the first call's length (nothing can finish before it).
    done_span = done_at[-1] - done_at[0] if len(done_at) > 1 else math.nan
    over_time: dict[str, list[tuple[float, float]]] = {}
    for result in outcome.results:
        for stage, values in result.latencies_ms.items():
            name = stage_name(stage, modes[result.call_id])
            over_time.setdefault(name, []).extend(
                (round(sent_at[result.call_id], 3), round(v, 1)) for v in values
            )
    loads = summarize(outcome.results, wall_s=max(last_done, 1e-9))
    accuracy = {
        key: _num(getattr(loads, key))
        for key in (
            "intent_accuracy",
            "dispute_outcome_accuracy",
            "credit_exact_rate",
            "churn_precision",
            "churn_recall",
            "churn_f1",
        )
    }
    for reply in outcome.chat:
        for stage, value in (
            ("chat message→first piece", reply.first_piece_ms),
            ("chat message→full reply", reply.full_reply_ms),
        ):
            if value is not None:
                over_time.setdefault(stage, []).append((round(reply.sent_at_s, 3), value))
    processes = sorted({name for s in outcome.samples for name in (*s.rss_mib, *s.cpu_pct)})
    report = {
        "config": dict(outcome.config),
        "offered": {"calls": len(outcome.dispatches), "per_s": len(outcome.dispatches) / duration},
        "achieved": {
            "sent": len(sent_ok),
            "completed": loads.completed,
            "sent_per_s": len(sent_ok) / duration,
            "completed_per_s": _num((len(done_at) - 1) / done_span) if done_span > 0 else None,
            "last_summary_s": round(last_done, 3),
        },
        "arrival_slip_s": _dist([d.slip_s for d in outcome.dispatches]),
        "errors": {
            "count": len(outcome.dispatches) - len(sent_ok),
            "first": [d.error for d in outcome.dispatches if d.error][:5],
        },
        "missing_summaries": sorted(outcome.missing),
        "latency_ms": {
            stage: _dist([v for _, v in pts]) for stage, pts in sorted(over_time.items())
        },
        "accuracy": {**accuracy, "dispute_calls": loads.dispute_calls, "calls": loads.completed},
        "tokens_per_call": _num(loads.tokens_per_call),
        "dlq": dict(outcome.dlq),
        "fallbacks": outcome.fallbacks,
        "processes": {
            name: {
                "cpu_pct_mean": _num(
                    _mean([s.cpu_pct[name] for s in outcome.samples if name in s.cpu_pct])
                ),
                "cpu_pct_max": max((s.cpu_pct.get(name, 0.0) for s in outcome.samples), default=0),
                "rss_mib_max": max(
                    (s.rss_mib[name] for s in outcome.samples if name in s.rss_mib), default=None
                ),
            }
            for name in processes
        },
        "series": {
            "arrivals": {
                "planned": sorted(d.plan.start_at_s for d in outcome.dispatches),
                "sent": sorted(d.sent_at_s for d in sent_ok),
                "completed": sorted(outcome.completed_at_s.values()),
            },
            "latency_ms": {stage: sorted(pts) for stage, pts in sorted(over_time.items())},
            "samples": [asdict(s) for s in outcome.samples],
        },
        "latency_over_time_ms": {
            stage: _windows(pts, duration) for stage, pts in sorted(over_time.items())
        },
        "audio_turns": _audio_turns(outcome),
    }
    if outcome.chat:
        report["chat"] = _chat(outcome.chat)
    return report


def _windows(points: Sequence[tuple[float, float]], duration_s: float) -> list[dict[str, Any]]:
    """p50/p95 of a stage per window of call start (a chat message: its send), twelve or so."""
    width = max(5.0, duration_s / 12)
    by_window: dict[int, list[float]] = {}
    for at, value in points:
        by_window.setdefault(int(at // width), []).append(value)
    return [
        {"from_s": round(i * width, 3), **_dist(values)} for i, values in sorted(by_window.items())
    ]


def _audio_turns(outcome: LoadOutcome) -> dict[str, int]:
    """Turns sent as audio, and how many got a transcript (utterance end→transcript count)."""
    turns = sum(len(d.sent.segments) for d in outcome.dispatches if d.sent is not None)
    heard = sum(len(r.latencies_ms.get("utterance end→transcript", ())) for r in outcome.results)
    return {"turns": turns, "transcribed": heard}


def _chat(replies: Sequence[ChatReply]) -> dict[str, Any]:
    kinds: dict[str, int] = {}
    for reply in replies:
        if reply.error_kind is not None:
            kinds[reply.error_kind] = kinds.get(reply.error_kind, 0) + 1
    return {
        "messages": len(replies),
        "replies_ok": sum(reply.error is None for reply in replies),
        "errors": kinds,
        "first_errors": [reply.error for reply in replies if reply.error][:5],
        "message_slip_s": _dist([reply.slip_s for reply in replies]),
        "reply_chars_mean": _num(_mean([reply.chars for reply in replies if reply.error is None])),
    }


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def _plots(report: Mapping[str, Any], out: Path) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = report["series"]
    samples = series["samples"]
    drawn: list[tuple[str, str]] = []

    def save(fig: Any, name: str, title: str) -> None:
        fig.tight_layout()
        fig.savefig(out / name, dpi=90)
        plt.close(fig)
        drawn.append((name, title))

    fig, ax = plt.subplots(figsize=(8, 3.5))
    for label, times in series["arrivals"].items():
        style = "--" if label == "planned" else "-"  # under "sent" when on time
        ax.step(times, range(1, len(times) + 1), style, where="post", label=label)
    ax.set(xlabel="s since start", ylabel="calls (cumulative)")
    ax.legend()
    save(fig, "throughput.png", "Offered (planned) vs sent vs completed calls")
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for stage, pts in series["latency_ms"].items():
        ax.scatter([t for t, _ in pts], [v for _, v in pts], s=8, label=stage)
    ax.set(xlabel="call start, s since start", ylabel="latency ms", yscale="log")
    ax.legend(fontsize=7)
    save(fig, "latency.png", "Latency per stage by call start time")
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for stage, windows in report["latency_over_time_ms"].items():
        color = None  # one colour per stage: p50 dotted, p95 solid
        for q, style in (("p50", ":"), ("p95", "-")):
            (line,) = ax.plot([w["from_s"] for w in windows], [w[q] for w in windows], style,
                              marker=".", color=color, label=f"{stage} {q}")  # fmt: skip
            color = line.get_color()
    ax.set(
        xlabel="window of call start (chat: message send), s since start",
        ylabel="latency ms",
        yscale="log",
    )
    if ax.lines:
        ax.legend(fontsize=6)
    save(fig, "latency_pct.png", "Latency percentiles per stage over time (p50 dotted, p95)")
    for key, name, ylabel in (
        ("lag", "lag.png", "records behind"),
        ("cpu_pct", "cpu.png", "CPU % (100 = one core)"),
        ("rss_mib", "memory.png", "resident MiB"),
    ):
        fig, ax = plt.subplots(figsize=(8, 3.5))
        for label in sorted({k for s in samples for k in s[key]}):
            ax.plot([s["t_s"] for s in samples], [s[key].get(label) for s in samples], label=label)
        ax.set(xlabel="s since start", ylabel=ylabel)
        if ax.lines:
            ax.legend(fontsize=7)
        save(
            fig,
            name,
            {
                "lag": "Consumer lag per group",
                "cpu_pct": "CPU per process",
                "rss_mib": "Memory per process",
            }[key],
        )
    return drawn


def _table(rows: Mapping[str, Any]) -> str:
    cells = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(json.dumps(v, ensure_ascii=False))}"
        "</td></tr>"
        for k, v in rows.items()
    )
    return f"<table>{cells}</table>"


def write_report(report: Mapping[str, Any], out: Path) -> tuple[Path, Path]:
    """Write report.json, the PNG plots and report.html into `out`; returns (json, html)."""
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "report.json"
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    plots = _plots(report, out)
    sections = [
        ("Run", report["config"]),
        ("Offered", report["offered"]),
        ("Achieved", report["achieved"]),
        ("Arrival slip (s)", report["arrival_slip_s"]),
        ("Latency (ms)", report["latency_ms"]),
        (
            "Latency p95 over time (ms, by send-time window)",
            {
                stage: [(w["from_s"], w["p95"]) for w in windows]
                for stage, windows in report["latency_over_time_ms"].items()
            },
        ),
        ("Audio turns transcribed", report["audio_turns"]),
        *([("Chat sessions", report["chat"])] if "chat" in report else []),
        ("Accuracy against ground truth", report["accuracy"]),
        ("DLQ records and fallbacks", {**report["dlq"], "fallbacks": report["fallbacks"]}),
        ("Tokens per call", {"tokens_per_call": report["tokens_per_call"]}),
        ("Processes", report["processes"]),
        ("Errors", report["errors"]),
    ]
    body = "".join(f"<h2>{html.escape(t)}</h2>{_table(rows)}" for t, rows in sections)
    body += "".join(
        f'<h2>{html.escape(title)}</h2><img src="{name}" alt="{html.escape(title)}">'
        for name, title in plots
    )
    page = (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>kcall load test</title>'
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}th{text-align:left;"
        "padding-right:1em}</style><h1>kcall load test</h1>" + body + "</html>"
    )
    html_path = out / "report.html"
    html_path.write_text(page, encoding="utf-8")
    return json_path, html_path
