"""The `kcall eval` report as JSON: every figure of the dataclasses, properties, targets."""

from __future__ import annotations

import dataclasses
import math
from enum import Enum
from typing import Any

from agents.evaluation.report import EvalReport
from agents.evaluation.targets import targets
from agents.korean.pii_eval import PiiReport

__all__ = ["report_json"]


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
