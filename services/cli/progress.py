"""Progress bars for the long commands: drawn on a terminal, silent in logs and pipes.

Bars go to stderr, so a command's stdout (JSON lines, reports) stays clean for pipes. When
stderr is not a terminal (CI logs, `2>file`, a child process of the demo) nothing is drawn
at all: no spam of redrawn lines. Rich is imported only when a bar is asked for, so
`kcall --help` never pays for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from typing import TypeVar

__all__ = ["Step", "progress_steps", "track"]

T = TypeVar("T")

Step = Callable[[str], None]
"""Advance the bar by one step and show what was just done."""


@contextmanager
def progress_steps(description: str, total: int | None) -> Iterator[Step]:
    """A bar of `total` steps (None: a spinner); the yielded callable advances it by one."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[step]}"),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    with progress:
        task = progress.add_task(description, total=total, step="")

        def advance(what: str) -> None:
            progress.update(task, advance=1, step=what)

        yield advance


def track(items: Iterable[T], description: str, *, total: int | None = None) -> Iterator[T]:
    """Yield `items`, advancing a bar by one per item (the bar's total: `len` or `total`)."""
    if total is None and isinstance(items, Sized):
        total = len(items)
    with progress_steps(description, total) as advance:
        for item in items:
            yield item
            advance("")
