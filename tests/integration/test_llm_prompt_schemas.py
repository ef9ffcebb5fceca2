"""Every prompt the graph sends round-trips through the real server as its schema."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from agents.prompts.claim import CLAIM_SYSTEM, ClaimExtraction, claim_user
from agents.prompts.explanation import (
    EXPLANATION_MAX_TOKENS,
    EXPLANATION_SYSTEM,
    Explanation,
    explanation_user,
)
from agents.prompts.intent import INTENT_SYSTEM_PROMPT, IntentChoice, intent_user
from agents.prompts.summary import (
    SUMMARY_MAX_TOKENS,
    SUMMARY_SYSTEM,
    SummaryDraft,
    summary_user,
)
from services.config import LlmSettings
from services.llm import OpenAICompatibleClient, SyncLlmClient
from services.llm.chat_model import LlmChatModel
from services.schemas import Intent

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The graph's own token caps: the reply must fit in what production allows it.
MAX_TOKENS = {
    "classify_intent": 32, "extract_claim": 64, "explain": EXPLANATION_MAX_TOKENS,
    "summarize": SUMMARY_MAX_TOKENS,
}

PROMPTS: list[tuple[str, str, str, type[BaseModel]]] = [
    (
        "classify_intent",
        INTENT_SYSTEM_PROMPT,
        intent_user(
            "지난달 요금이 너무 많이 나왔어요",
            candidates=[Intent.BILLING_DISPUTE, Intent.BILLING_INQUIRY, Intent.PAYMENT],
        ),
        IntentChoice,
    ),
    (
        "extract_claim",
        CLAIM_SYSTEM,
        claim_user(
            "지난달에 로밍 요금이 이만 오천 원 나왔는데 해외에 간 적이 없어요",
            today="2026-11-23",
            last_month="2026-10",
        ),
        ClaimExtraction,
    ),
    (
        "explain",
        EXPLANATION_SYSTEM,
        explanation_user(
            outcome="credit_issued",
            rule="roaming_without_usage",
            amount_krw=25000,
            facts="2026-10 청구서 로밍 요금 25000원, 같은 달 로밍 사용 기록 없음",
            draft="고객님, 10월 청구서의 로밍 요금 25,000원은 사용 기록이 없어 감면해 드렸습니다.",
        ),
        Explanation,
    ),
    (
        "summarize",
        SUMMARY_SYSTEM,
        summary_user(
            facts="청구 이의: 로밍 미사용 청구 25000원 감면 완료",
            transcript="지난달 로밍 요금이 나왔는데 해외에 간 적이 없어요\n확인 부탁드려요",
        ),
        SummaryDraft,
    ),
]


@pytest.mark.parametrize(("node", "system", "user", "schema"), PROMPTS, ids=[p[0] for p in PROMPTS])
def test_prompt_schema_round_trips(
    llm_settings: LlmSettings, node: str, system: str, user: str, schema: type[BaseModel]
) -> None:
    # A generous budget: this checks the contract (grammar -> JSON -> schema), not speed.
    settings = llm_settings.model_copy(update={"timeout_s": 240.0})
    model = LlmChatModel(settings, SyncLlmClient(OpenAICompatibleClient(settings)))
    try:
        reply = model.structured(
            node=node, system=system, user=user, schema=schema, max_tokens=MAX_TOKENS[node]
        )
    finally:
        model.close()
    assert isinstance(reply.value, schema)
    assert reply.completion_tokens > 0 and reply.prompt_tokens > 50  # exact, from the stream
    # An instruct model follows the prompt, not just the grammar (greedy decoding).
    if isinstance(reply.value, IntentChoice):
        assert reply.value.intent in {Intent.BILLING_DISPUTE, Intent.BILLING_INQUIRY}
    if isinstance(reply.value, ClaimExtraction):
        claim = reply.value
        assert claim.charge_kind == "roaming" or claim.anomaly == "roaming_without_usage"
