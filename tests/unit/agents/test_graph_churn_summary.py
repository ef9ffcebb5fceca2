"""Churn scoring over a call, multi-intent tracking, summaries and LLM fallbacks."""

from __future__ import annotations

from datetime import date

from langgraph.checkpoint.memory import InMemorySaver

from agents.graph import build_graph, call_state
from agents.policies.churn import detect_signals, score_churn
from agents.policies.retention import OFFERS
from agents.ports import ModelUnavailable
from agents.prompts.summary import SummaryDraft
from services.schemas import Intent, SummarySource
from tests.unit.agents.fakes import CallDriver, FakeChat, ports, world

PII = ("김민준", "010-1234-5678", "900101-1234567", "4111 1111 1111 1111")


def test_churn_rises_with_competitor_and_cancel_intent_and_flags_with_an_offer() -> None:
    fakes = ports(world(None))
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    calm = call.say("요금제 좀 알아보려고요").insight
    competitor = call.say("KT는 더 싸던데요").insight
    cancel = call.say("그냥 해지하고 케이티로 갈아타려고요").insight
    assert calm.churn_score < competitor.churn_score < cancel.churn_score
    assert not calm.churn_flag and cancel.churn_flag
    names = {s.name for s in cancel.churn_signals}
    assert {"competitor_mention", "port_out_intent"} <= names
    assert any("KT" in s.evidence or "케이티" in s.evidence for s in cancel.churn_signals)
    assert any(a.startswith("retention_offer:PORTOUT-DEFENSE") for a in cancel.actions)
    assert any("혜택 제안" in s for s in cancel.assist)


def test_summary_names_the_offer_in_korean_never_its_code() -> None:
    fakes = ports(world(None))
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    call.say("KT는 더 싸던데요")
    call.say("그냥 해지하고 케이티로 갈아타려고요")
    summary = call.end()
    assert "번호이동 방어 혜택을 안내하였습니다." in summary.follow_up
    assert not any(code in summary.model_dump_json() for code in OFFERS)


def test_ktx_is_not_a_competitor() -> None:
    assert not any(h.name == "competitor_mention"
                   for h in detect_signals("KTX 타고 가는 중이에요", intent=None, seq=0))


def test_churn_score_is_monotone_in_signals() -> None:
    hits = detect_signals("해지할래요 엘지로 옮길까 봐요 너무 비싸요", intent=Intent.CANCELLATION,
                          seq=0)
    full = score_churn(hits, unresolved_dispute=True).score
    fewer = score_churn(hits[:1], unresolved_dispute=False).score
    assert 0 < fewer < full < 1


def test_contract_ending_soon_is_a_profile_signal() -> None:
    fakes = ports(world(None, contract_end=date(2025, 4, 1)))
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    insight = call.say("안녕하세요").insight
    assert "contract_ending" in {s.name for s in insight.churn_signals}


def test_multi_intent_dispute_turning_into_cancellation_is_tracked() -> None:
    fakes = ports(world("duplicate_charge"))
    graph = build_graph(InMemorySaver())
    call = CallDriver(graph, fakes.context())
    call.say("컬러링이 두 번 청구됐어요")
    call.say("네 알겠습니다", speaker="agent")
    call.say("이런 일이 계속되면 그냥 해지할래요")
    summary = call.end()
    assert summary.intents[:2] == [Intent.BILLING_DISPUTE, Intent.CANCELLATION]
    state = call_state(graph, "call-1")
    assert [h["seq"] for h in state["intents"]] == [0, 2]  # agent turns are not classified
    assert state["processed_seqs"] == [0, 1, 2]
    assert summary.utterances == 3
    assert "감면" in summary.resolution


def test_template_summary_never_contains_pii() -> None:
    fakes = ports(world("duplicate_charge"))
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    call.say("저 김민준인데요 010-1234-5678 이고 주민번호 900101-1234567 이에요")
    call.say("컬러링이 두 번 청구됐어요 카드 4111 1111 1111 1111 로 냈어요")
    summary = call.end()
    assert summary.source is SummarySource.TEMPLATE and summary.fallback_reason == "disabled"
    text = summary.model_dump_json()
    assert not any(p in text for p in PII)


def test_llm_summary_with_pii_falls_back_to_the_template() -> None:
    leaky = SummaryDraft(summary="김민준 고객(010-1234-5678)이 중복 청구를 문의하였습니다.",
                         customer_request="환불 요청", sentiment="negative")
    fakes = ports(world("duplicate_charge"), FakeChat({"summarize": leaky}))
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    call.say("컬러링이 두 번 청구됐어요")
    summary = call.end()
    assert summary.source is SummarySource.TEMPLATE
    assert summary.fallback_reason == "pii_in_model_output"
    assert not any(p in summary.model_dump_json() for p in PII)


def test_valid_llm_summary_is_used_but_facts_stay_the_policy_s() -> None:
    good = SummaryDraft(summary="고객이 컬러링 중복 청구를 문의하여 감면 처리하였습니다.",
                        customer_request="중복 청구 확인", sentiment="neutral")
    fakes = ports(world("duplicate_charge"), FakeChat({"summarize": good}))
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    call.say("컬러링이 두 번 청구됐어요")
    summary = call.end()
    assert summary.source is SummarySource.LLM and summary.summary == good.summary
    assert "1,650원" in summary.resolution  # never the model's "전액 환불"


def test_llm_failure_falls_back_with_a_recorded_reason() -> None:
    chat = FakeChat({"extract_claim": ModelUnavailable("timeout"),
                     "summarize": ModelUnavailable("breaker_open"),
                     "explain": ModelUnavailable("timeout")})
    fakes = ports(world("overage_on_unlimited"), chat)
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    insight = call.say("요금이 잘못 청구됐어요").insight  # no claim words: the LLM is asked
    assert "extract_claim:timeout" in insight.fallbacks
    assert "explain:timeout" in insight.fallbacks
    assert insight.dispute.amount_krw == 12_000  # the policy still finds it
    summary = call.end()
    assert summary.source is SummarySource.TEMPLATE
    assert summary.fallback_reason == "breaker_open"
    assert any(e["action"] == "unavailable" for e in fakes.audit.entries)


def test_llm_intent_tier_failure_is_recorded() -> None:
    chat = FakeChat({"classify_intent": ModelUnavailable("timeout")})
    fakes = ports(world(None), chat)
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    insight = call.say("음 그게요")  # the fake fast tier is unsure (0.3)
    assert "classify_intent:timeout" in insight.insight.fallbacks
    assert insight.insight.intent_tier.value == "fast"


def test_llm_summary_cut_at_its_length_cap_falls_back_to_the_template() -> None:
    cut = SummaryDraft(summary="고객이 컬러링 중복 청구를 문의하여 감면 처리하",
                       customer_request="중복 청구", sentiment="neutral")
    fakes = ports(world("duplicate_charge"), FakeChat({"summarize": cut}))
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    call.say("컬러링이 두 번 청구됐어요")
    summary = call.end()
    assert summary.source is SummarySource.TEMPLATE and summary.fallback_reason == "truncated"
