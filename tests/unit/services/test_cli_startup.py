"""`kcall --help` and every `kcall ... --help` import none of the heavy libraries.

Asserted on the modules a fresh interpreter has loaded, never on time (bench/cli_startup.py
measures the time).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# What a command may import once it runs, but `--help` must not (seconds between them).
HEAVY = (
    "torch",
    "faster_whisper",
    "ctranslate2",
    "langgraph",
    "langchain_core",
    "sqlalchemy",
    "alembic",
    "kafka",
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "kiwipiepy",
    "sklearn",
    "scipy",
    "numpy",
    "llama_cpp",
    "openai",
    "opentelemetry",
    "prometheus_client",
    "argon2",
    "rich",  # only for progress bars: plain help is about 0.1 s quicker
)

# Runs in a fresh interpreter: renders the help of the root, every group and every command,
# then prints the top-level packages that got imported.
_PROBE = """
import json, sys
import typer.main
from typer.testing import CliRunner
from services.cli.main import app

after_import = sorted({name.split(".")[0] for name in sys.modules})
runner = CliRunner()
helped = []

def walk(command, path):
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, (path, result.output)
    helped.append(" ".join(path))
    for name, sub in getattr(command, "commands", {}).items():
        walk(sub, [*path, name])

walk(typer.main.get_command(app), [])
print(json.dumps({"after_import": after_import, "helped": helped,
                  "after_help": sorted({name.split(".")[0] for name in sys.modules})}))
"""


def _probe() -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    result: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_help_of_every_command_imports_no_heavy_library() -> None:
    probe = _probe()
    assert {"", "worker", "eval", "intent build", "simulate audio", "transcribe"} <= set(
        probe["helped"]
    ), "the walk reached the commands"
    assert not set(HEAVY) & set(probe["after_import"]), "importing the CLI app"
    assert not set(HEAVY) & set(probe["after_help"]), "rendering every --help"


def test_the_entrypoint_help_imports_no_heavy_library() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "services.cli", "--help"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "Usage" in done.stdout and "worker" in done.stdout
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "typer" in imported, "-X importtime reported the imports"
    assert not set(HEAVY) & imported


def test_help_texts_written_out_match_their_sources() -> None:
    from pipelines.workers import Stage
    from services.api.keys import DATABASE_ROLES
    from services.cli.keys_commands import _ROLES_HELP
    from services.cli.worker_commands import StageName

    assert [s.value for s in StageName] == [s.value for s in Stage]
    assert _ROLES_HELP == f"One of: {', '.join(DATABASE_ROLES)}."
