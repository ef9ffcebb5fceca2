"""Where the graph asks the LLM: routed by default, everywhere in the bench's baseline."""

from __future__ import annotations

from langgraph.checkpoint.memory import InMemorySaver

from agents.graph import build_graph
from agents.prompts.claim import ClaimExtraction
from agents.prompts.explanation import Explanation
from agents.prompts.intent import IntentChoice
from services.schemas import Intent
from tests.unit.agents.fakes import CallDriver, FakeChat, ports, world

CONFIDENT_DISPUTE = "컬러링이 두 번 청구됐어요"  # fast tier 0.9, and the rules find the claim


def _nodes(chat: FakeChat) -> list[str]:
    return [c["node"] for c in chat.calls]


def test_routed_graph_skips_the_llm_where_fast_tier_and_rules_are_sure() -> None:
    chat = FakeChat({"explain": Explanation(text="확인 결과 중복 청구로 감면해 드리겠습니다.")})
    fakes = ports(world("duplicate_charge"), chat)
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    call.say(CONFIDENT_DISPUTE)
    assert _nodes(chat) == ["explain"]


def test_llm_for_everything_asks_for_every_intent_and_claim_but_rules_still_win() -> None:
    chat = FakeChat({"classify_intent": IntentChoice(intent=Intent.BILLING_DISPUTE),
                     "extract_claim": ClaimExtraction(amount_krw=1_000_000),
                     "explain": Explanation(text="확인 결과 중복 청구로 감면해 드리겠습니다.")})
    fakes = ports(world("duplicate_charge"), chat)
    call = CallDriver(build_graph(InMemorySaver()), fakes.context(llm_for_everything=True))
    insight = call.say(CONFIDENT_DISPUTE).insight
    assert _nodes(chat) == ["classify_intent", "extract_claim", "explain"]
    assert insight.dispute is not None and insight.dispute.amount_krw == 1_650  # the policy's


def test_llm_for_everything_asks_once_when_the_rules_find_no_claim() -> None:
    chat = FakeChat({"extract_claim": ClaimExtraction()})
    fakes = ports(world("overage_on_unlimited"), chat)
    call = CallDriver(build_graph(InMemorySaver()), fakes.context(llm_for_everything=True))
    call.say("요금이 잘못 청구됐어요")
    assert _nodes(chat).count("extract_claim") == 1


def test_explanation_cut_at_its_length_cap_keeps_the_template() -> None:
    chat = FakeChat({"explain": Explanation(text="확인해 보니 중복 청구가 있어 1,650원을 감면해")})
    fakes = ports(world("duplicate_charge"), chat)
    call = CallDriver(build_graph(InMemorySaver()), fakes.context())
    insight = call.say(CONFIDENT_DISPUTE).insight
    assert "explain:truncated" in insight.fallbacks
    assert insight.dispute is not None and insight.dispute.explanation.endswith("습니다.")
