"""`score_items` counts matches per kind; `kcall eval summary-items` prints the table."""

from __future__ import annotations

import datetime as dt

from typer.testing import CliRunner

from agents.evaluation.summary_items import ItemsCase, items_markdown, score_items
from services.cli.main import app

DAY = dt.date(2026, 12, 6)


def test_precision_and_recall_count_each_kind() -> None:
    right = ItemsCase(
        call_id="c1", call_date=DAY,
        utterances=[(5, "agent", "내일까지 서류 제출해 주세요."),
                    (6, "agent", "만 원은 다음 달 요금에서 환급될 예정입니다.")],
        dates=["2026-12-07"], amounts=[10000],
        actions=[("customer", "documents", "2026-12-07"), ("company", "refund", None)],
    )
    wrong = ItemsCase(  # the truth says the agent texts; the turn is a question: a miss
        call_id="c2", call_date=DAY, utterances=[(3, "agent", "문자로 보내 드릴까요?")],
        dates=[], amounts=[], actions=[("agent", "message", None)],
        unlabelled=[(0, "customer", "모레 다시 전화할게요.")],
    )
    report = score_items([right, wrong])
    by_kind = {s.kind: s for s in report.scores}
    assert (by_kind["dates"].matched, by_kind["dates"].expected) == (1, 1)
    assert by_kind["amounts"].precision == 1.0 and by_kind["amounts"].recall == 1.0
    actions = by_kind["actions"]
    assert (actions.expected, actions.found, actions.matched) == (3, 2, 2)
    assert actions.precision == 1.0 and abs(actions.recall - 2 / 3) < 1e-9
    assert report.unlabelled == {"dates": 1, "amounts": 0, "actions": 1}
    assert len(report.misses) == 2 and all(m.startswith("c2") for m in report.misses)
    text = items_markdown(report)
    assert "| actions | 3 | 2 | 2 | 1.000 | 0.667 |" in text


def test_the_cli_scores_the_committed_test_set() -> None:
    result = CliRunner().invoke(app, ["eval", "summary-items", "--calls", "20", "--no-misses"])
    assert result.exit_code == 0, result.output
    assert "Summary items (20 calls" in result.output
    for kind in ("dates", "amounts", "actions", "action owners"):
        assert f"| {kind} |" in result.output
