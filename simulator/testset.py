"""The versioned simulator test set: generated once with a seed disjoint from training.

The intent model trains on `simulator.training_utterances(13, ...)`, drawn from
`Random("train:13")`; the demo uses seed 7. The test set's world and calls come from seed
`EVAL_SEED` (`Random(20261123)` for the world, `Random("calls:20261123")` for the calls)
with a fixed reference date, so no draw is shared with training. Both files are committed;
the harness only reads them, so figures repeat even when the simulator changes. Rewrite
them only with `kcall eval testset --regenerate` (and bump `TESTSET_VERSION` when the
content changes).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from simulator import (
    Scenario,
    ScenarioMix,
    ScriptedCall,
    SyntheticWorld,
    generate_calls,
    generate_world,
)

__all__ = [
    "EVAL_CALLS",
    "EVAL_CUSTOMERS",
    "EVAL_SEED",
    "EVAL_TODAY",
    "TESTSET_DIR",
    "TESTSET_VERSION",
    "TestSet",
    "TestSetMismatch",
    "generate_testset",
    "load_testset",
    "write_testset",
]

TESTSET_VERSION = "sim-eval-v2"
EVAL_SEED = 20261123
EVAL_CALLS = 200
# Enough customers that every dispute call has its own anomaly or valid charge: a second
# dispute of an already-credited line would measure the idempotency guard, not the policy.
EVAL_CUSTOMERS = 200
# Disputes are oversampled (18% in the default mix) so their accuracy rests on ~40 calls.
EVAL_DISPUTE_WEIGHT = 0.30
EVAL_TODAY = date(2025, 11, 20)
# The committed files stay where README says they are, beside the scoring code.
TESTSET_DIR = Path(__file__).resolve().parents[1] / "agents" / "evaluation" / "data"
_CALLS_FILE = "sim_eval_calls.jsonl"
_WORLD_FILE = "sim_eval_world.json.gz"


class TestSetMismatch(RuntimeError):
    """The committed files do not match their header (edited by hand, or half-written)."""


@dataclass(frozen=True)
class TestSet:
    """The header, the billing world with its ground truth, and the scripted calls."""

    __test__ = False  # not a pytest class, despite the name

    meta: dict[str, Any]
    world: SyntheticWorld
    calls: list[ScriptedCall]


def generate_testset(
    *, seed: int = EVAL_SEED, calls: int = EVAL_CALLS, customers: int = EVAL_CUSTOMERS,
    today: date = EVAL_TODAY, auto_credit_limit_krw: int = 30_000,
) -> TestSet:
    """Generate the world and calls from the simulator (deterministic in its arguments)."""
    world = generate_world(seed=seed, customers=customers, today=today)
    mix = ScenarioMix()
    mix.weights[Scenario.BILLING_DISPUTE] = EVAL_DISPUTE_WEIGHT
    drafted = generate_calls(world, seed=seed, n=calls + calls // 4, mix=mix,
                             auto_credit_limit_krw=auto_credit_limit_krw, call_id_prefix="eval")
    scripted = _first_disputes_only(drafted)[:calls]
    if len(scripted) < calls:
        raise ValueError(f"only {len(scripted)} calls left after dropping repeated disputes")
    meta = {"version": TESTSET_VERSION, "seed": seed, "calls": calls, "customers": customers,
            "today": today.isoformat(), "drafted_calls": calls + calls // 4,
            "filter": "repeated dispute targets dropped",
            "dispute_weight": EVAL_DISPUTE_WEIGHT, "auto_credit_limit_krw": auto_credit_limit_krw,
            "training_stream": "Random('train:13')", "calls_stream": f"Random('calls:{seed}')"}
    return TestSet(meta=meta, world=world, calls=scripted)


def _first_disputes_only(calls: list[ScriptedCall]) -> list[ScriptedCall]:
    """Drop calls that dispute a line an earlier call already disputed.

    The simulator may hand one anomaly to two dispute calls; the second call's truth still
    says "credit", while the right answer is "already credited", so it would score the
    idempotency guard against a wrong label. The filter reads only the truth, not outputs.
    """
    seen: set[tuple[str, ...]] = set()
    kept: list[ScriptedCall] = []
    for call in calls:
        expected = call.truth.expected_dispute
        if expected is not None:
            target = (expected.invoice_id, *expected.line_ids)
            if target in seen:
                continue
            seen.add(target)
        kept.append(call)
    return kept


def _calls_lines(calls: list[ScriptedCall]) -> list[str]:
    return [call.model_dump_json() for call in calls]


def _digest(lines: list[str], world_json: str) -> str:
    digest = hashlib.sha256()
    for part in (*lines, world_json):
        digest.update(part.encode("utf-8") + b"\n")
    return digest.hexdigest()


def write_testset(testset: TestSet, directory: Path = TESTSET_DIR) -> Path:
    """Write the calls (JSONL, header first) and the world (gzip, fixed mtime).

    Returns:
        The calls file.
    """
    directory.mkdir(parents=True, exist_ok=True)
    lines = _calls_lines(testset.calls)
    world_json = testset.world.model_dump_json()
    header = {**testset.meta, "sha256": _digest(lines, world_json)}
    calls_path = directory / _CALLS_FILE
    calls_path.write_text(
        "\n".join([json.dumps(header, ensure_ascii=False), *lines]) + "\n", encoding="utf-8")
    with gzip.GzipFile(directory / _WORLD_FILE, "wb", mtime=0) as handle:
        handle.write(world_json.encode("utf-8"))
    return calls_path


def load_testset(directory: Path = TESTSET_DIR, *, limit: int | None = None) -> TestSet:
    """Read the committed test set and check it against its header's digest.

    Args:
        directory: Where the two files are.
        limit: Keep only the first `limit` calls (quick runs); the digest covers all.

    Raises:
        FileNotFoundError: The files are missing (run `kcall eval testset --regenerate`).
        TestSetMismatch: The files changed since they were written.
    """
    raw = (directory / _CALLS_FILE).read_text(encoding="utf-8").splitlines()
    meta: dict[str, Any] = json.loads(raw[0])
    lines = [line for line in raw[1:] if line.strip()]
    with gzip.open(directory / _WORLD_FILE, "rb") as handle:
        world_json = handle.read().decode("utf-8")
    if _digest(lines, world_json) != meta.get("sha256"):
        raise TestSetMismatch(f"{directory}: test set files do not match their header")
    calls = [ScriptedCall.model_validate_json(line) for line in lines]
    world = SyntheticWorld.model_validate_json(world_json)
    return TestSet(meta=meta, world=world, calls=calls[:limit] if limit else calls)
