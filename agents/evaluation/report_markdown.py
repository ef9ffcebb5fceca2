"""The `kcall eval` report as markdown: targets, graph passes, intents, LLM tier, ASR, PII."""

from __future__ import annotations

import math

from agents.evaluation.calls import CallSetReport
from agents.evaluation.report import EvalReport, PassResult
from agents.evaluation.report_tables import (
    confusion_table,
    counts_cell,
    fmt,
    pass_rows,
    per_class_table,
    pii_tables,
)
from agents.evaluation.targets import targets
from agents.evaluation.templates import template_sets_markdown

__all__ = ["report_markdown"]


def _passes(report: EvalReport) -> list[tuple[str, CallSetReport, float]]:
    passes: list[PassResult] = list(report.passes)
    if report.whisper is not None:
        passes.append(report.whisper[1])
    return [(p.name, p.report, p.ms_per_event) for p in passes]


_SERVER_FAILURES = frozenset({"connect_error", "breaker_open", "timeout", "bad_response"})


def _llm_section(report: EvalReport) -> list[str]:
    if report.llm is None:
        return ["Not run (add `--llm` to start the embedded server and measure it)."]
    effect = report.llm
    lines = [f"Same {effect.calls} calls, fast tier only versus LLM tier on:", ""]
    failures = set(effect.tiered.report.llm_fallbacks)
    for item in effect.handwritten.values():
        failures |= set(item["fallbacks"])
    broken = sorted(r for r in failures if r in _SERVER_FAILURES or r.startswith("http_5"))
    if broken:
        lines += [f"**The LLM server failed during this run ({', '.join(broken)}): the LLM "
                  "column measures the deterministic fallback, not the model.** See the "
                  "server log under the data dir's `logs/`.", ""]
    lines += pass_rows([("fast only", effect.fast.report, effect.fast.ms_per_event),
                         ("LLM on", effect.tiered.report, effect.tiered.ms_per_event)])
    lines += ["", "| hand-written set | macro-F1 with LLM | below threshold | decided by LLM "
                  "| intents changed | LLM answers not used |", "|---|---|---|---|---|---|"]
    for name, item in effect.handwritten.items():
        lines.append(f"| {name} | {fmt(item['report'].macro_f1)} | {fmt(item['asked'])} "
                     f"| {fmt(item['llm_share'])} | {item['changed']} "
                     f"| {counts_cell(item['fallbacks'])} |")
    return lines


def _speech_section(report: EvalReport) -> list[str]:
    lines: list[str] = []
    if report.whisper is not None:
        heard, result = report.whisper
        lines += [f"espeak-ng speech of {result.report.calls} calls' customer turns through "
                  f"Whisper: utterance CER {fmt(heard.mean_cer)} over {len(heard.cer)} "
                  f"utterances ({heard.audio_s:.0f} s of audio, RTF "
                  f"{fmt(heard.seconds / heard.audio_s if heard.audio_s else math.nan, 2)}). "
                  "espeak-ng's Korean voice is barely intelligible to Whisper base, so the "
                  "graph figures in the `whisper` column are a floor, not an estimate of "
                  "real-call accuracy.", ""]
    else:
        lines += ["Whisper on synthetic calls not run (add `--asr N`).", ""]
    if report.clips:
        lines += ["Real Korean read speech (`../shared/data/speech-ko`: of its five Apache-2.0 "
                  "clips only those with a reference transcript count; the others are "
                  "keyword and command clips without one):",
                  "", "| condition | clips | CER | RTF |", "|---|---|---|---|"]
        lines += [f"| {c.condition} | {c.clips} | {fmt(c.cer)} | {fmt(c.rtf)} |"
                  for c in report.clips]
    return lines


def report_markdown(report: EvalReport, *, command: str = "kcall eval") -> str:
    """The whole report as markdown (what `--out` writes and the README quotes)."""
    meta = report.testset
    clean, noisy = report.passes[0].report, report.passes[1].report
    goals = targets(report)
    lines = [
        "# kcall evaluation report", "",
        f"Command: `{command}` ({report.wall_s:.0f} s). Test set `{meta['version']}`: "
        f"{meta['evaluated_calls']} of {meta['calls']} simulator calls, seed {meta['seed']} "
        f"(world and calls; training draws from {meta['training_stream']}), reference date "
        f"{meta['today']}. Thresholds: LLM tier below "
        f"{report.thresholds['intent_llm']}, churn flag at {report.thresholds['churn_flag']}, "
        f"automatic credits up to {report.thresholds['auto_credit_limit_krw']:.0f} won. "
        "Main figures run the real graph (SQLite, trained fast tier) with the LLM off.", "",
        "## Targets", "", "| target | measured | goal | met |", "|---|---|---|---|",
        *[f"| {t.name} | {fmt(t.measured)} | {t.goal} | {'yes' if t.met else '**no**'} |"
          for t in goals],
        "", "## Simulator calls through the graph", "",
        *pass_rows(_passes(report)), "",
        f"{report.training_overlap:.0%} of the labelled test utterances occur verbatim in the "
        "training data: the simulator's calls and training utterances share phrase templates "
        "(different random streams), so simulator figures are optimistic; the held-apart "
        "templates and the hand-written set below are the honest intent figures.", "",
        "## Intents: simulator templates vs held-apart templates (fast tier, no graph)", "",
        "The held-apart family (`simulator/phrases/heldout.py`) says every intent's requests "
        "in phrasing written apart from the training templates and never trained on; "
        "\"verbatim in training\" is the share of the set's texts found exactly in the "
        "training data.", "",
        *template_sets_markdown(report.template_sets), "",
        "## Intents: hand-written set (real-caller phrasing, never trained on)", "",
        "| set | n | macro-F1 | accuracy | ECE | top confusions |", "|---|---|---|---|---|---|",
    ]
    for name, item in report.handwritten.items():
        confusions = ", ".join(f"{t.value}→{p.value} ×{n}" for t, p, n in item.top_confusions(4))
        lines.append(f"| {name} | {item.examples} | {fmt(item.macro_f1)} | {fmt(item.accuracy)} "
                     f"| {fmt(item.ece)} | {confusions or '-'} |")
    lines += ["", "Per class (F1 per set; precision and recall on the clean set):", ""]
    lines += per_class_table({**{f"hand-{k}": v for k, v in report.handwritten.items()},
                         "sim-clean": clean.utterance_intents,
                         "sim-asr": noisy.utterance_intents,
                         **{s.name: s.report for s in report.template_sets
                            if s.name.startswith("held-apart")}})
    lines += ["", "Confusion, hand-written clean (rows true, columns predicted):", ""]
    lines += confusion_table(report.handwritten["clean"])
    lines += ["", "Confusion, hand-written ASR-style:", ""]
    lines += confusion_table(report.handwritten["asr_noise"])
    lines += ["", "Confusion, simulator utterances, clean:", ""]
    lines += confusion_table(clean.utterance_intents)
    lines += ["", "## LLM tier", "", *_llm_section(report)]
    lines += ["", "## ASR output", "", *_speech_section(report)]
    lines += ["", "## PII redaction", "", *pii_tables(report.pii), ""]
    return "\n".join(lines)
