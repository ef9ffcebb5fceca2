"""The voice-phishing alert's evaluation as markdown: figures, families, calibration, weights."""

from __future__ import annotations

from agents.evaluation.phishing import PhishingReport
from agents.evaluation.phishing_calibration import Calibration
from agents.evaluation.report_tables import fmt

__all__ = ["phishing_markdown", "weights_table"]


def phishing_markdown(report: PhishingReport, *, title: str) -> str:
    """The report as markdown tables."""
    ci = report.intervals()
    lat = report.latencies
    lines = [
        f"### Voice-phishing alert ({title}, threshold {report.threshold})", "",
        "| metric | value |", "|---|---|",
        f"| recall on held-apart scam calls | {fmt(report.recall)} ({report.alerted}/"
        f"{report.phishing_calls}; 95% CI {fmt(ci['recall'][0])}-{fmt(ci['recall'][1])}) |",
        f"| false-alarm rate on normal calls | {fmt(report.false_alarm_rate)} "
        f"({report.false_alarms}/{report.normal_calls}; 95% CI "
        f"{fmt(ci['false_alarm_rate'][0])}-{fmt(ci['false_alarm_rate'][1])}) |",
        f"| alerts within one utterance of the first cue | {fmt(report.within_one)} |",
        f"| latency in utterances (mean / max) | "
        f"{fmt(sum(lat) / len(lat), 2) if lat else 'n/a'} / {max(lat) if lat else 'n/a'} |",
        f"| Brier score, every utterance prefix | {fmt(report.brier, 4)} |",
        f"| scorer time per utterance p50 / p95 / max | {fmt(report.utterance_us[0], 0)} / "
        f"{fmt(report.utterance_us[1], 0)} / {fmt(report.utterance_us[2], 0)} µs |",
        "", "| family | alerted / calls |", "|---|---|",
        *(f"| {name} | {a} / {n} |" for name, (a, n) in report.per_family.items()),
        "", "| predicted | prefixes | mean predicted | observed scam rate |", "|---|---|---|---|",
        *(f"| {b.low:.1f}-{b.high:.1f} | {b.count} | {b.mean_predicted:.3f} | {b.observed:.3f} |"
          for b in report.bins),
    ]
    if report.false_alarm_groups:
        lines += ["", "False alarms by scenario: " + ", ".join(
            f"{k} {v}" for k, v in sorted(report.false_alarm_groups.items()))]
    return "\n".join(lines)


def weights_table(committed: Calibration, fitted: Calibration) -> str:
    """The committed weights beside the refitted ones, one row per signal."""
    rows = ["| signal | committed | refitted |", "|---|---|---|",
            f"| (bias) | {committed.bias:.2f} | {fitted.bias:.2f} |"]
    rows += [f"| {name} | {committed.weights.get(name, 0.0):.2f} | {w:.2f} |"
             for name, w in fitted.weights.items()]
    return "\n".join(rows)
