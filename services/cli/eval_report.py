"""Render an `EvalReport`: targets, per-pass figures, confusion, PII, speech (markdown, JSON)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from agents.evaluation import CallSetReport
from agents.intents import IntentReport
from agents.korean.pii_eval import PiiReport
from services.cli.eval_heldout import template_sets_markdown
from services.cli.evaluation import EvalReport, PassResult

__all__ = ["Target", "report_json", "report_markdown", "targets"]


@dataclass(frozen=True)
class Target:
    """One stated goal, the figure it is checked on, and whether it was met."""

    name: str
    measured: float
    goal: str
    met: bool


def _at_least(name: str, value: float, goal: float) -> Target:
    return Target(name, value, f">= {goal:.2f}", not math.isnan(value) and value >= goal)


def targets(report: EvalReport) -> list[Target]:
    """The README's targets, each checked on every set it applies to."""
    clean, noisy = report.passes[0].report, report.passes[1].report
    out = [
        _at_least("intent macro-F1, clean, hand-written", report.handwritten["clean"].macro_f1,
                  0.90),
        _at_least("intent macro-F1, clean, simulator utterances",
                  clean.utterance_intents.macro_f1, 0.90),
        _at_least("intent macro-F1, ASR-style, hand-written",
                  report.handwritten["asr_noise"].macro_f1, 0.85),
        _at_least("intent macro-F1, ASR-style, simulator utterances",
                  noisy.utterance_intents.macro_f1, 0.85),
        _at_least(f"dispute decision accuracy, clean (n={clean.dispute.calls})",
                  clean.dispute.accuracy, 0.95),
        _at_least(f"dispute decision accuracy, ASR-style (n={noisy.dispute.calls})",
                  noisy.dispute.accuracy, 0.95),
    ]
    for split, pii in report.pii.items():
        out.append(_at_least(f"PII recall, {split} cases", pii.recall, 0.98))
        fp = max(pii.span_false_positive_rate, pii.token_false_positive_rate)
        out.append(Target(f"PII false positives, {split} (worse of span and token rate)", fp,
                          "<= 0.02", fp <= 0.02))
    return out


def _f(value: float, digits: int = 3) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items()) or "-"


def _pass_rows(passes: Sequence[tuple[str, CallSetReport, float]]) -> list[str]:
    rows: list[tuple[str, Callable[[CallSetReport, float], str]]] = [
        ("calls / customer utterances", lambda r, _: f"{r.calls} / {r.utterances}"),
        ("intent macro-F1, utterances with a label",
         lambda r, _: f"{_f(r.utterance_intents.macro_f1)} (n={r.utterance_intents.examples})"),
        ("intent accuracy, utterances", lambda r, _: _f(r.utterance_intents.accuracy)),
        ("intent macro-F1, call primary intent", lambda r, _: _f(r.call_intents.macro_f1)),
        ("dispute decision accuracy [95% CI]", lambda r, _: (
            f"{_f(r.dispute.accuracy)} [{_f(r.dispute.interval[0], 2)}, "
            f"{_f(r.dispute.interval[1], 2)}] ({r.dispute.correct}/{r.dispute.calls})")),
        ("credit error: mean / max abs (won)", lambda r, _: (
            f"{_f(r.dispute.credit.mean_absolute_krw, 0)} / {r.dispute.credit.max_absolute_krw}")),
        ("credit amount exactly right", lambda r, _: _f(r.dispute.credit.exact_rate)),
        ("dispute decisions on non-dispute calls (with money)",
         lambda r, _: f"{r.dispute.spurious} ({r.dispute.spurious_money})"),
        ("churn AUC (max score per call)", lambda r, _: _f(r.churn.auc)),
        ("churn precision / recall at flag threshold", lambda r, _: (
            f"{_f(r.churn.flag.precision)} / {_f(r.churn.flag.recall)} "
            f"({r.churn.positives} churn calls)")),
        ("churn false-positive rate at threshold",
         lambda r, _: _f(r.churn.flag.false_positive_rate)),
        ("share of utterances decided by the LLM tier", lambda r, _: _f(r.llm_share)),
        ("share below the LLM threshold (asked, or would be)",
         lambda r, _: _f(r.llm_asked_share)),
        ("why the LLM tier's answer was not used", lambda r, _: _counts(r.llm_fallbacks)),
        ("graph time per event (ms)", lambda _, ms: f"{ms:.1f}" if ms else "-"),
    ]
    header = "| figure | " + " | ".join(name for name, _, _ in passes) + " |"
    lines = [header, "|---" * (len(passes) + 1) + "|"]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(r, ms) for _, r, ms in passes) + " |")
    return lines


def _per_class(reports: dict[str, IntentReport]) -> list[str]:
    names = list(reports)
    lines = ["| intent | " + " | ".join(f"F1 {n}" for n in names) + " | P / R (first) | n |",
             "|---" * (len(names) + 3) + "|"]
    first = reports[names[0]]
    for row in first.per_class:
        f1s = []
        for name in names:
            match = [c for c in reports[name].per_class if c.intent is row.intent]
            f1s.append(_f(match[0].f1, 2) if match else "-")
        lines.append(f"| {row.intent.value} | " + " | ".join(f1s)
                     + f" | {_f(row.precision, 2)} / {_f(row.recall, 2)} | {row.support} |")
    return lines


def _confusion(report: IntentReport) -> list[str]:
    codes = [f"{i:02d}" for i in range(len(report.labels))]
    lines = ["| true \\ predicted | " + " | ".join(codes) + " |",
             "|---" * (len(codes) + 1) + "|"]
    for code, label, row in zip(codes, report.labels, report.confusion, strict=True):
        cells = [str(v) if v else "." for v in row]
        lines.append(f"| {code} {label.value} | " + " | ".join(cells) + " |")
    return lines


def _pii(pii: dict[str, PiiReport]) -> list[str]:
    lines = ["| split | cases | PII spans | recall | span FP rate | token FP rate "
             "| clean cases redacted |", "|---|---|---|---|---|---|---|"]
    for split, r in pii.items():
        lines.append(f"| {split} | {r.cases} | {r.expected_spans} | {_f(r.recall)} "
                     f"| {_f(r.span_false_positive_rate)} | {_f(r.token_false_positive_rate)} "
                     f"| {r.negative_cases_redacted}/{r.negative_cases} |")
    kinds = sorted({k for r in pii.values() for k in r.per_kind})
    lines += ["", "| kind | " + " | ".join(f"recall {s}" for s in pii) + " |",
              "|---" * (len(pii) + 1) + "|"]
    for kind in kinds:
        cells = []
        for r in pii.values():
            score = r.per_kind.get(kind)
            cells.append(f"{_f(score.recall)} ({score.covered}/{score.expected})"
                         if score else "-")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return lines


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
    lines += _pass_rows([("fast only", effect.fast.report, effect.fast.ms_per_event),
                         ("LLM on", effect.tiered.report, effect.tiered.ms_per_event)])
    lines += ["", "| hand-written set | macro-F1 with LLM | below threshold | decided by LLM "
                  "| intents changed | LLM answers not used |", "|---|---|---|---|---|---|"]
    for name, item in effect.handwritten.items():
        lines.append(f"| {name} | {_f(item['report'].macro_f1)} | {_f(item['asked'])} "
                     f"| {_f(item['llm_share'])} | {item['changed']} "
                     f"| {_counts(item['fallbacks'])} |")
    return lines


def _speech_section(report: EvalReport) -> list[str]:
    lines: list[str] = []
    if report.whisper is not None:
        heard, result = report.whisper
        lines += [f"espeak-ng speech of {result.report.calls} calls' customer turns through "
                  f"Whisper: utterance CER {_f(heard.mean_cer)} over {len(heard.cer)} "
                  f"utterances ({heard.audio_s:.0f} s of audio, RTF "
                  f"{_f(heard.seconds / heard.audio_s if heard.audio_s else math.nan, 2)}). "
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
        lines += [f"| {c.condition} | {c.clips} | {_f(c.cer)} | {_f(c.rtf)} |"
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
        *[f"| {t.name} | {_f(t.measured)} | {t.goal} | {'yes' if t.met else '**no**'} |"
          for t in goals],
        "", "## Simulator calls through the graph", "",
        *_pass_rows(_passes(report)), "",
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
        lines.append(f"| {name} | {item.examples} | {_f(item.macro_f1)} | {_f(item.accuracy)} "
                     f"| {_f(item.ece)} | {confusions or '-'} |")
    lines += ["", "Per class (F1 per set; precision and recall on the clean set):", ""]
    lines += _per_class({**{f"hand-{k}": v for k, v in report.handwritten.items()},
                         "sim-clean": clean.utterance_intents,
                         "sim-asr": noisy.utterance_intents,
                         **{s.name: s.report for s in report.template_sets
                            if s.name.startswith("held-apart")}})
    lines += ["", "Confusion, hand-written clean (rows true, columns predicted):", ""]
    lines += _confusion(report.handwritten["clean"])
    lines += ["", "Confusion, hand-written ASR-style:", ""]
    lines += _confusion(report.handwritten["asr_noise"])
    lines += ["", "Confusion, simulator utterances, clean:", ""]
    lines += _confusion(clean.utterance_intents)
    lines += ["", "## LLM tier", "", *_llm_section(report)]
    lines += ["", "## ASR output", "", *_speech_section(report)]
    lines += ["", "## PII redaction", "", *_pii(report.pii), ""]
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, PiiReport):
        return {**_jsonable(dataclasses.asdict(value)), "recall": value.recall,
                "span_false_positive_rate": value.span_false_positive_rate,
                "token_false_positive_rate": value.token_false_positive_rate,
                "negative_case_rate": value.negative_case_rate}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        extra = {}
        for name in ("precision", "recall", "false_positive_rate", "mean_cer"):
            if isinstance(getattr(type(value), name, None), property):
                extra[name] = getattr(value, name)
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return {k: _jsonable(v) for k, v in {**fields, **extra}.items()}
    if isinstance(value, dict):
        return {str(k.value if isinstance(k, Enum) else k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def report_json(report: EvalReport) -> dict[str, Any]:
    """A JSON-ready view of every figure, with the targets (NaN as null)."""
    data: dict[str, Any] = _jsonable(report)
    if report.whisper is not None:
        heard, result = report.whisper
        data["whisper"] = {"mean_cer": _jsonable(heard.mean_cer), "utterances": len(heard.cer),
                           "audio_s": heard.audio_s, "seconds": heard.seconds,
                           "pass": _jsonable(result)}
    data["targets"] = _jsonable(targets(report))
    return data
