"""The digest a summary carries: headline, a section per topic, 2-5 tags, extracted items."""

from __future__ import annotations

from datetime import UTC, datetime

from langgraph.checkpoint.memory import InMemorySaver

from agents.graph import build_graph
from agents.summary_digest import call_day
from services.schemas import CallSummary, Intent
from tests.unit.agents.fakes import NOW, CallDriver, ports, world

RAW_PHONE = "010-1234-5678"


def test_a_dispute_call_gets_headline_sections_tags_and_items() -> None:
    fakes = ports(world("duplicate_charge"))
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    call.say("컬러링이 두 번 청구됐어요")
    call.say("환급 결과는 문자로 안내해 드리겠습니다.", speaker="agent")
    call.say(f"네, 다음 주 화요일 오후 세 시에 다시 전화할게요. 제 번호는 {RAW_PHONE}예요.")
    summary: CallSummary = call.end()
    assert "\n" not in summary.headline and summary.headline.endswith(("다.", "요."))
    assert "감면" in summary.headline or "승인" in summary.headline
    assert [s.topic for s in summary.sections][:1] == ["청구 이의"]
    assert 2 <= len(summary.tags) <= 5 and "청구 이의" in summary.tags
    # NOW is Monday 2025-03-10 in Seoul: next week's Tuesday is the 18th.
    assert call_day(NOW).isoformat() == "2025-03-10"
    assert "2025-03-18T15:00" in [d.value for d in summary.items.dates]
    lines = [a.text for a in summary.items.actions]
    assert "상담사: 문자 안내" in lines
    assert "고객: 3월 18일(화)에 다시 연락" in lines
    assert [(i.kind, i.masked) for i in summary.items.identifiers] == [("phone", "[전화번호]")]
    assert RAW_PHONE not in summary.model_dump_json()


def test_a_churn_call_is_tagged_and_the_offer_named_in_its_section() -> None:
    fakes = ports(world(None))
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    call.say("KT는 더 싸던데요")
    call.say("그냥 해지하고 케이티로 갈아타려고요")
    summary: CallSummary = call.end()
    assert "이탈 위험" in summary.tags and "이탈 위험" in summary.headline
    churn = [s for s in summary.sections if s.topic in ("해지", "번호이동")]
    assert churn and all("의사를 밝혔습니다." in s.text for s in churn)
    assert Intent.PORT_OUT in summary.intents or Intent.CANCELLATION in summary.intents


def test_the_call_day_is_seoul_s() -> None:
    assert call_day(datetime(2026, 12, 6, 15, 30, tzinfo=UTC)).isoformat() == "2026-12-07"
    assert call_day(datetime(2026, 12, 6, 14, 59)).isoformat() == "2026-12-06"


def test_an_old_summary_without_the_digest_still_decodes() -> None:
    old = {
        "call_id": "c1", "summary": "요약입니다.", "customer_request": "요청", "resolution": "",
        "follow_up": "", "sentiment": "", "churn_risk": "", "churn_score": 0.1,
        "source": "rules", "utterances": 2,
    }
    summary = CallSummary.model_validate(old)
    assert summary.headline == "" and summary.tags == [] and summary.items.actions == []
