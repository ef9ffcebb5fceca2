"""CLI start-up: `kcall --help` with lazy command modules vs importing them all eagerly.

Each run is a fresh interpreter (`python -m services.cli --help`, what `.venv/bin/kcall
--help` runs), timed from spawn to exit. The baseline is the old way, in the same run: the
same interpreter first imports every module of `services/cli` (the commands and everything
they pull in: Kafka, SQLAlchemy, the graph, Whisper, scikit-learn...), then prints the
same help. Median of `--runs` runs each, interleaved so load on the machine hits both alike.

`--intent` also times what a worker pays at start for the fast intent tier, in fresh
interpreters after their imports: loading the built artefact (plus the Kiwi analyzer's
warm-up, which `load_intent_model` does), against training it as every first start did.
`--burn N` runs N CPU-bound processes beside it all. Last line: `RESULT {json}`; value =
lazy median seconds, baseline = eager median seconds, ratio = baseline / value.
Run: .venv/bin/python bench/cli_startup.py [--runs 7] [--burn 1] [--intent]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_EAGER = """
import importlib, pkgutil, sys
import services.cli
for info in pkgutil.iter_modules(services.cli.__path__):
    if info.name != "__main__":
        importlib.import_module("services.cli." + info.name)
from services.cli.main import app
sys.argv = ["kcall", "--help"]
app()
"""

_INTENT = """
import json, sys, time
from pathlib import Path
from agents.intents import ensure_intent_model
from agents.intents.store import DEFAULT_SEED
from pipelines.intent_data import training_examples
from services.intent_model_files import FileIntentModelStore
started = time.perf_counter()
artifact = ensure_intent_model(FileIntentModelStore(Path(sys.argv[1])),
                               training_examples(seed=DEFAULT_SEED), seed=DEFAULT_SEED)
loaded = time.perf_counter()
artifact.classifier.predict("이번 달 요금이 두 번 청구된 것 같아요")  # Kiwi's warm-up
print(json.dumps({"built": artifact.built, "model_s": loaded - started,
                  "with_kiwi_s": time.perf_counter() - started}))
"""


def _burn() -> None:
    while True:
        pass


def _wall(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - started


def _intent(models_dir: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", _INTENT, str(models_dir)], cwd=ROOT,
                          check=True, capture_output=True, text=True)  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _intent_figures(runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="kcall-intent-bench-") as scratch:
        models = Path(scratch)
        trained = _intent(models)  # empty dir: trains, as a first start without set-up did
        loads = [_intent(models) for _ in range(runs)]
    return {
        "intent_train_s": round(trained["model_s"], 3),
        "intent_load_s": round(statistics.median(x["model_s"] for x in loads), 3),
        "intent_load_with_kiwi_s": round(statistics.median(x["with_kiwi_s"] for x in loads), 3),
    }


def main() -> None:
    """Time both ways, print a table and the RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each way (median)")
    parser.add_argument("--burn", type=int, default=0, help="CPU-bound processes beside it")
    parser.add_argument("--intent", action="store_true", help="also time the intent model")
    args = parser.parse_args()
    burners = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(args.burn)]
    for burner in burners:
        burner.start()
    try:
        _wall([sys.executable, "-m", "services.cli", "--help"])  # warm the page cache
        lazy: list[float] = []
        eager: list[float] = []
        for _ in range(args.runs):
            lazy.append(_wall([sys.executable, "-m", "services.cli", "--help"]))
            eager.append(_wall([sys.executable, "-c", _EAGER]))
        extra = _intent_figures(max(1, args.runs // 2)) if args.intent else {}
    finally:
        for burner in burners:
            burner.terminate()
    value, base = statistics.median(lazy), statistics.median(eager)
    print("| way | runs | median s | min s | max s |\n|---|---|---|---|---|")
    for label, times in (("lazy (kcall --help)", lazy), ("eager imports (baseline)", eager)):
        print(f"| {label} | {len(times)} | {statistics.median(times):.3f} | {min(times):.3f} "
              f"| {max(times):.3f} |")
    for name, seconds in extra.items():
        print(f"{name}: {seconds} s")
    print("RESULT " + json.dumps({
        "bench": "cli_startup", "value": round(value, 3), "unit": "s",
        "baseline": round(base, 3), "ratio": round(base / value, 1),
        "runs": args.runs, "burn": args.burn, "cpus": os.cpu_count(), **extra,
    }, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
