"""Retention of what the processes write to files: trace spans (JSON lines) and log files.

Spans carry call ids and timings, logs redacted text; both are aged like call data. The span
file is rewritten without the expired lines (a new file renamed over the old one); spans a
worker appends during that instant may be lost, which tracing tolerates.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

__all__ = ["purge_log_files", "purge_span_lines"]


def purge_span_lines(path: Path, cutoff: datetime, *, dry_run: bool = False) -> int:
    """Drop the spans that ended before `cutoff` from the JSON-lines file; return how many."""
    if not path.is_file():
        return 0
    cutoff_ns = int(cutoff.timestamp() * 1_000_000_000)
    kept: list[str] = []
    dropped = 0
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if _span_end_ns(line) < cutoff_ns:
                dropped += 1
            else:
                kept.append(line)
    if dropped and not dry_run:
        fresh = path.with_name(path.name + ".retention")
        fresh.write_text("".join(kept), encoding="utf-8")
        os.replace(fresh, path)
    return dropped


def _span_end_ns(line: str) -> int:
    """When a span line ended; a line that cannot be read counts as expired (it cannot age)."""
    try:
        record = json.loads(line)
        return int(record.get("end_ns") or record.get("start_ns") or 0)
    except (ValueError, TypeError, AttributeError):
        return 0


def purge_log_files(directory: Path, cutoff: datetime, *, dry_run: bool = False) -> int:
    """Delete the files under `directory` last written before `cutoff`; return how many."""
    if not directory.is_dir():
        return 0
    limit = cutoff.timestamp()
    removed = 0
    for entry in sorted(directory.rglob("*")):
        if entry.is_file() and not entry.is_symlink() and entry.stat().st_mtime < limit:
            removed += 1
            if not dry_run:
                entry.unlink(missing_ok=True)
    return removed
