"""A voice-phishing call through the real broker and agent stage yields exactly one alert.

A scam call (simulator, held-apart wording) and a normal call go through a private embedded
broker into the real agent stage (runner, SQL checkpointer, trained fast tier, LLM off).
Once both summaries are out, the alert topic holds one alert, for the scam call, within one
utterance of the script's first cue; the registered guardian got one notice.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from agents.intents import IntentClassifier
from pipelines.bootstrap import build_agent_runtime
from services.broker import Publisher
from services.config.settings import (
    AgentSettings,
    DatabaseSettings,
    LlmSettings,
    PathSettings,
    Settings,
)
from services.db import seed_world
from services.schemas import (
    GuardianAlert,
    PhishingAlert,
    Speaker,
    Topic,
    decode,
)
from simulator.phishing import generate_phishing_calls
from tests.fixtures.broker import (
    StageThread,
    fast_kafka_settings,
    read_topic,
    send_text_call,
    unique_name,
)
from tests.unit.agents.fakes import world

pytestmark = pytest.mark.integration

NORMAL = [
    (Speaker.AGENT, "감사합니다, 고객님. 무엇을 도와드릴까요?"),
    (Speaker.CUSTOMER, "요금 미납 문자 왔던데 지금 바로 낼게요. 가상계좌 알려 주세요."),
    (Speaker.AGENT, "네, 고객님. 문자로 보내 드렸습니다."),
    (Speaker.CUSTOMER, "네, 감사합니다."),
]


def test_a_phishing_call_yields_exactly_one_alert_on_the_topic(
    private_kafka_bootstrap: str, db_url: str, migrated_engine: Engine,
    intent_model: IntentClassifier, tmp_path: Path,
) -> None:
    seed_world(migrated_engine, world(None))
    settings = Settings(
        database=DatabaseSettings(url=db_url), llm=LlmSettings(enabled=False),
        paths=PathSettings(data=tmp_path), kafka=fast_kafka_settings(),
        agent=AgentSettings(phishing_guardians={"C1": "guardian-1"}))
    scam = generate_phishing_calls(["C1"], seed=3, n=1, split="eval")[0]
    scam_id, normal_id = unique_name("scam"), unique_name("normal")
    with build_agent_runtime(settings, llm_base_url=None, intents=intent_model) as runtime, \
            StageThread(runtime.handler(), bootstrap=private_kafka_bootstrap,
                        settings=settings):
        with Publisher(private_kafka_bootstrap, settings.kafka) as publisher:
            send_text_call(publisher, scam_id, [(t.speaker, t.text) for t in scam.turns])
            send_text_call(publisher, normal_id, NORMAL)
            publisher.flush()
        summaries = read_topic(private_kafka_bootstrap, Topic.SUMMARIES.value,
                               min_records=2, timeout_s=120)
        assert {decode(Topic.SUMMARIES, r.value).call_id for r in summaries} == {
            scam_id, normal_id}
        alerts = [decode(Topic.PHISHING_ALERTS, r.value) for r in read_topic(
            private_kafka_bootstrap, Topic.PHISHING_ALERTS.value, min_records=1, timeout_s=60)]
        notices = [decode(Topic.GUARDIAN_ALERTS, r.value) for r in read_topic(
            private_kafka_bootstrap, Topic.GUARDIAN_ALERTS.value, min_records=1, timeout_s=60)]
    assert len(alerts) == 1
    alert = alerts[0]
    assert isinstance(alert, PhishingAlert) and alert.call_id == scam_id
    assert scam.first_cue <= alert.utterance_seq <= scam.first_cue + 1
    assert alert.score >= settings.agent.phishing_alert_threshold
    assert [r.key for r in read_topic(private_kafka_bootstrap, Topic.PHISHING_ALERTS.value,
                                      settle_s=0.1)] == [scam_id.encode()]
    assert len(notices) == 1
    notice = notices[0]
    assert isinstance(notice, GuardianAlert)
    assert notice.alert_id == alert.message_id and notice.guardian_id == "guardian-1"
