"""Labelled utterances: the record type and the hand-written sets shipped with the package."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from agents.domain import Intent

__all__ = [
    "DATA_DIR",
    "LabeledUtterance",
    "dump_jsonl",
    "handwritten_eval",
    "load_jsonl",
    "seed_utterances",
]

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class LabeledUtterance:
    """One customer utterance and the intent a person gave it."""

    text: str
    intent: Intent


def load_jsonl(path: Path) -> list[LabeledUtterance]:
    """Read `{"text": ..., "intent": ...}` lines; blank lines are skipped."""
    examples: list[LabeledUtterance] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                example = LabeledUtterance(text=str(row["text"]), intent=Intent(row["intent"]))
            except (KeyError, ValueError) as error:
                raise ValueError(f"{path}:{number}: bad example: {error}") from error
            examples.append(example)
    return examples


def dump_jsonl(examples: Iterable[LabeledUtterance]) -> str:
    """Serialise examples the way `load_jsonl` reads them (stable, for hashing too)."""
    return "".join(
        json.dumps({"text": ex.text, "intent": ex.intent.value}, ensure_ascii=False) + "\n"
        for ex in examples
    )


def seed_utterances() -> Sequence[LabeledUtterance]:
    """The hand-written training seed set (never evaluate on it)."""
    return load_jsonl(DATA_DIR / "seed_utterances.jsonl")


def handwritten_eval() -> Sequence[LabeledUtterance]:
    """The separate hand-written evaluation set (never train on it)."""
    return load_jsonl(DATA_DIR / "handwritten_eval.jsonl")
