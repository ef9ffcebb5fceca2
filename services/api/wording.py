"""Chat wording streamed from the model: the port the assistant uses and its LLM adapter."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Protocol

from services.llm.client import ChatMessage, OpenAICompatibleClient

__all__ = ["LlmWordingStream", "ReplyReset", "WordingStream"]


class ReplyReset(str):
    """A reply piece that replaces everything streamed before it in the same reply.

    Sent when streamed model wording fails a check after some words were shown: the
    customer then sees the rules' answer instead (SSE `event: reset`).
    """

    __slots__ = ()


class WordingStream(Protocol):
    """Text deltas of one model reply, as the server produces them."""

    def stream(self, *, system: str, user: str, call_id: str) -> AsyncGenerator[str, None]:
        """Yield deltas; raise `services.llm.LlmError` when the model fails or stalls."""
        ...


class LlmWordingStream:
    """`WordingStream` over an OpenAI-compatible server (vLLM in compose, llama.cpp here).

    Args:
        client: The API process's async client (its own slots, breaker and usage ledger).
        timeout_s: Longest wait for the first token and between tokens.
        max_tokens: Cap on one reply.
    """

    def __init__(self, client: OpenAICompatibleClient, *, timeout_s: float, max_tokens: int):
        self._client = client
        self._timeout_s = timeout_s
        self._max_tokens = max_tokens

    def stream(self, *, system: str, user: str, call_id: str) -> AsyncGenerator[str, None]:
        """Deltas of the reply to `user` (already redacted) under `system`."""
        messages = [
            ChatMessage(role="system", content=system),
            ChatMessage(role="user", content=user),
        ]
        return self._client.stream_text(
            messages,
            max_tokens=self._max_tokens,
            call_id=call_id,
            node="chat",
            timeout_s=self._timeout_s,
        )
