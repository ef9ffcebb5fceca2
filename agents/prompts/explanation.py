"""Prompt and schema for wording a dispute decision politely; the facts are fixed by policy."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "EXPLANATION_MAX_CHARS", "EXPLANATION_MAX_TOKENS", "EXPLANATION_SYSTEM", "PROMPT_VERSION",
    "Explanation", "explanation_user",
]

PROMPT_VERSION = "explanation/2"

EXPLANATION_SYSTEM = """당신은 한국 통신사 고객센터 상담원의 안내 문구를 다듬는 도우미입니다.
정해진 처리 결과를 고객에게 하십시오체로 두 문장으로 짧고 정중하게 설명합니다.

규칙:
- 처리 결과, 금액, 규칙은 주어진 사실 그대로 씁니다. 새 금액이나 약속을 만들지 않습니다.
- 주어진 금액 외의 숫자를 쓰지 않습니다.
- 환불, 감면, 보상을 추가로 약속하지 않습니다.
- 개인정보를 쓰지 않습니다.
- JSON {"text": "..."} 하나로만 답합니다.
"""


# The template draft is about 60-110 Korean characters; the cap keeps the grammar-bound
# free-text decode (the slowest kind on llama.cpp) short enough for a live call.
EXPLANATION_MAX_CHARS = 160
EXPLANATION_MAX_TOKENS = 128


class Explanation(BaseModel):
    """The worded explanation."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=5, max_length=EXPLANATION_MAX_CHARS)


def explanation_user(*, outcome: str, rule: str, amount_krw: int, facts: str, draft: str) -> str:
    """The per-request facts and the deterministic draft to improve."""
    return (f"처리 결과: {outcome}\n적용 규칙: {rule}\n금액: {amount_krw}원\n근거: {facts}\n"
            f"초안: {draft}\n답:")
