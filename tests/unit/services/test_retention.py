"""Retention without a database: the plan's cut-offs, topic retention.ms, span and log files."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from pydantic import ValidationError

from services.broker.topics import topic_configs
from services.cli.retention_commands import parse_now
from services.config import RetentionSettings
from services.db.retention_plan import plan_retention
from services.observability.retention import purge_log_files, purge_span_lines
from services.schemas import Topic, all_topic_names

NOW = datetime(2027, 6, 1, 3, 0, tzinfo=UTC)
DAY_MS = 86_400_000


def test_plan_cuts_each_kind_at_its_own_period() -> None:
    settings = RetentionSettings(call_days=30, money_days=400, audit_days=60, access_log_days=800)
    plan = plan_retention(settings, NOW)
    assert NOW - plan.calls == timedelta(days=30)
    assert NOW - plan.money == timedelta(days=400)
    assert NOW - plan.audit == timedelta(days=60)
    assert NOW - plan.access_log == timedelta(days=800)
    assert plan.batch_size == settings.batch_size


def test_defaults_follow_the_law_and_the_issue() -> None:
    plan = plan_retention(RetentionSettings(), NOW)
    assert NOW - plan.calls == timedelta(days=365)
    assert NOW - plan.money == timedelta(days=5 * 365)  # 전자상거래법: 5 years
    assert NOW - plan.access_log == timedelta(days=2 * 365)  # 안전성 확보조치 기준: 2 years


def test_plan_needs_an_aware_clock() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_retention(RetentionSettings(), datetime(2027, 6, 1))


@pytest.mark.parametrize(
    "field, value",
    [("money_days", 30), ("access_log_days", 100), ("call_days", 0), ("batch_size", 0),
     ("audio_days", -1), ("dlq_days", 0)],
)  # fmt: skip
def test_periods_are_bounded(field: str, value: int) -> None:
    with pytest.raises(ValidationError):
        RetentionSettings.model_validate({field: value})


def test_audio_topic_keeps_speech_only_for_crash_replay_by_default() -> None:
    configs = topic_configs(Topic.AUDIO, RetentionSettings())
    assert configs["retention.ms"] == str(60 * 60_000)
    # Kafka deletes closed segments only: one must close well within the period.
    assert 0 < int(configs["segment.ms"]) <= 60 * 60_000 // 6
    kept = topic_configs(Topic.AUDIO, RetentionSettings(audio_days=7))
    assert kept["retention.ms"] == str(7 * DAY_MS)


def test_every_dlq_topic_gets_the_dlq_period_and_others_the_broker_default() -> None:
    retention = RetentionSettings(dlq_days=3)
    for name in all_topic_names():
        configs = topic_configs(name, retention)
        assert "max.message.bytes" in configs
        if name.endswith(".dlq"):
            assert configs["retention.ms"] == str(3 * DAY_MS), name
            assert int(configs["segment.ms"]) <= 3 * DAY_MS // 6, name
        elif name != Topic.AUDIO:
            assert "retention.ms" not in configs and "segment.ms" not in configs, name


def _span(end: datetime, name: str) -> str:
    end_ns = int(end.timestamp() * 1_000_000_000)
    return json.dumps({"name": name, "start_ns": end_ns - 1000, "end_ns": end_ns}) + "\n"


def test_span_lines_older_than_the_cutoff_go_and_the_rest_stay_in_order(tmp_path: Path) -> None:
    spans = tmp_path / "spans.jsonl"
    cutoff = NOW - timedelta(days=365)
    lines = [_span(cutoff - timedelta(days=1), "old-1"), _span(NOW, "young-1"),
             "{not json\n", _span(cutoff - timedelta(seconds=1), "old-2"),
             _span(cutoff + timedelta(seconds=1), "young-2")]  # fmt: skip
    spans.write_text("".join(lines), encoding="utf-8")

    assert purge_span_lines(spans, cutoff, dry_run=True) == 3
    assert spans.read_text(encoding="utf-8") == "".join(lines)

    assert purge_span_lines(spans, cutoff) == 3
    names = [json.loads(line)["name"] for line in spans.read_text(encoding="utf-8").splitlines()]
    assert names == ["young-1", "young-2"]
    assert purge_span_lines(spans, cutoff) == 0
    assert purge_span_lines(tmp_path / "missing.jsonl", cutoff) == 0


def test_log_files_last_written_before_the_cutoff_go(tmp_path: Path) -> None:
    cutoff = NOW - timedelta(days=365)
    old, young = tmp_path / "logs" / "worker-1.log", tmp_path / "logs" / "run" / "worker-2.log"
    young.parent.mkdir(parents=True)
    for path, at in ((old, cutoff - timedelta(days=2)), (young, cutoff + timedelta(days=2))):
        path.write_text("요금 문의 처리\n", encoding="utf-8")
        os.utime(path, (at.timestamp(), at.timestamp()))

    assert purge_log_files(tmp_path / "logs", cutoff, dry_run=True) == 1
    assert old.exists()
    assert purge_log_files(tmp_path / "logs", cutoff) == 1
    assert not old.exists() and young.exists()
    assert purge_log_files(tmp_path / "nowhere", cutoff) == 0


def test_now_option_is_parsed_as_utc() -> None:
    assert parse_now("2027-06-01T12:00:00+09:00") == datetime(2027, 6, 1, 3, 0, tzinfo=UTC)
    assert parse_now("2027-06-01T03:00:00") == datetime(2027, 6, 1, 3, 0, tzinfo=UTC)
    with pytest.raises(typer.BadParameter):
        parse_now("last tuesday")
