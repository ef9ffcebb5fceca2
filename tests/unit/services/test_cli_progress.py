"""Progress bars of the long commands: items pass through, and nothing is drawn off a terminal."""

from __future__ import annotations

import pytest

from services.cli.progress import progress_steps, track


def test_track_yields_every_item_and_draws_nothing_into_a_log(
    capsys: pytest.CaptureFixture[str],
) -> None:
    items = [f"call-{n}.wav" for n in range(5)]
    assert list(track(items, "transcribing")) == items
    assert list(track(iter(items), "no length")) == items
    with progress_steps("training", 3) as step:
        for what in ("features", "fold", "final fit"):
            step(what)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "", "CI logs get no bar redraws"
