"""Blocking facade over the async client for the synchronous graph workers.

The async client runs on a private event loop in a daemon thread; blocking callers submit
coroutines to it. There is one implementation of budgets, retries and the breaker: the
async one. Many worker threads may share one facade; the client's semaphore still bounds
how many requests are in flight.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, TypeVar

from services.llm.client import ChatMessage, ChatResult, OpenAICompatibleClient

__all__ = ["SyncLlmClient"]

_T = TypeVar("_T")


class SyncLlmClient:
    """Run `OpenAICompatibleClient.chat` from threads that have no event loop."""

    def __init__(self, client: OpenAICompatibleClient) -> None:
        self.client = client
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="llm-client-loop", daemon=True
        )
        self._thread.start()
        self._closed = False

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: Mapping[str, Any] | None = None,
        schema_name: str = "reply",
        call_id: str = "",
        node: str = "",
        timeout_s: float | None = None,
    ) -> ChatResult:
        """Blocking `OpenAICompatibleClient.chat`; raises the same `LlmError`s."""
        return self._run(
            self.client.chat(
                messages,
                max_tokens=max_tokens,
                temperature=temperature,
                json_schema=json_schema,
                schema_name=schema_name,
                call_id=call_id,
                node=node,
                timeout_s=timeout_s,
            )
        )

    def close(self) -> None:
        """Close the client's connections and stop the loop thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._run(self.client.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> SyncLlmClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("SyncLlmClient called from its own loop thread (would deadlock)")
        if self._loop.is_closed():
            coroutine.close()
            raise RuntimeError("SyncLlmClient is closed")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()
