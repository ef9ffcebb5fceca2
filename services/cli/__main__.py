"""`python -m services.cli` runs the `kcall` command (used to start child processes)."""

from services.cli.main import run

run()
