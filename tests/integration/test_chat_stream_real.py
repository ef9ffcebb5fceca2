"""Chat wording streamed from the real model: words reach the customer while the model is
still generating, and the checks of agents.chat_wording pass on what it writes."""

from __future__ import annotations

import time
from contextlib import aclosing

import anyio
import pytest

from agents.chat_wording import StreamedWording
from agents.prompts.chat import CHAT_STREAM_SYSTEM, chat_user
from services.api.wording import LlmWordingStream
from services.config import LlmSettings
from services.llm import OpenAICompatibleClient

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSAGES = [
    "데이터 쉐어링은 앱의 부가서비스 메뉴에서 신청할 수 있어요.",
    "태블릿이나 스마트워치에 데이터를 나눠 쓸 수 있어요.",
]
QUESTION = "데이터 쉐어링은 어떻게 신청하나요?"


def test_the_real_model_streams_a_checked_answer_word_by_word(
    llm_settings: LlmSettings,
) -> None:
    async def run() -> tuple[list[str], list[tuple[float, str]], str, float]:
        # A generous budget: this checks the stream and the checks, not speed.
        client = OpenAICompatibleClient(llm_settings.model_copy(update={"max_retries": 0}))
        stream = LlmWordingStream(client, timeout_s=240.0, max_tokens=96)
        guard = StreamedWording(passages=PASSAGES, question=QUESTION)
        deltas: list[str] = []
        released: list[tuple[float, str]] = []
        try:
            deltas_in = stream.stream(
                system=CHAT_STREAM_SYSTEM,
                user=chat_user(question=QUESTION, passages=PASSAGES),
                call_id="chat-real",
            )
            async with aclosing(deltas_in):
                async for delta in deltas_in:
                    deltas.append(delta)
                    words = guard.feed(delta)
                    if words:
                        released.append((time.monotonic(), words))
            ended = time.monotonic()
            tail = guard.finish()
        finally:
            await client.aclose()
        return deltas, released, tail, ended

    deltas, released, tail, ended = anyio.run(run)
    assert len(deltas) >= 5, deltas  # token by token, not one completion
    # Words were released while the model still wrote: the first before the stream ended.
    assert len(released) >= 2 and released[0][0] < ended
    text = "".join(words for _, words in released) + tail
    assert "부가서비스" in text or "앱" in text, text
