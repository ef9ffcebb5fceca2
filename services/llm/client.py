"""Async client for any OpenAI-compatible chat server: budgets, retries, breaker, usage."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, TypeVar

import httpx

from services.config.settings import LlmDialect, LlmSettings
from services.llm.breaker import BreakerState, CircuitBreaker
from services.llm.dialects import sampling_fields, stream_fields, structured_output_fields
from services.llm.errors import (
    BreakerOpenError,
    LlmBadResponseError,
    LlmError,
    LlmHttpError,
    LlmTimeoutError,
    LlmTransportError,
)
from services.llm.retry import RetryPolicy, parse_retry_after
from services.llm.sse import DONE, iter_sse_data
from services.llm.usage import TokenUsage, UsageLedger

__all__ = ["ChatMessage", "ChatResult", "OpenAICompatibleClient"]

_T = TypeVar("_T")


class ChatMessage(TypedDict):
    """One chat message as the OpenAI API takes it."""

    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class ChatResult:
    """One completed chat call."""

    text: str
    finish_reason: str | None
    usage: TokenUsage
    latency_ms: float
    attempts: int
    model: str


class OpenAICompatibleClient:
    """Chat completions against vLLM, llama-cpp-python's server, OpenAI or alike.

    Every call has a time budget (`timeout_s`, default `settings.timeout_s`) covering the
    wait for a concurrency slot, every attempt and every backoff pause. Retryable failures
    (see `services.llm.errors`) are retried with full-jitter exponential backoff; each
    attempt passes the circuit breaker first, so an open breaker fails fast without
    touching the network. Usage is recorded per call_id and node in `ledger`.
    """

    def __init__(
        self,
        settings: LlmSettings,
        *,
        base_url: str | None = None,
        ledger: UsageLedger | None = None,
        breaker: CircuitBreaker | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        url = base_url or settings.base_url
        if not url:
            raise ValueError("no base_url: set KCALL_LLM_BASE_URL or start the embedded server")
        self._settings = settings
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._retry = retry or RetryPolicy(max_retries=settings.max_retries)
        self.ledger = ledger or UsageLedger()
        self.breaker = breaker or CircuitBreaker(
            failure_threshold=settings.breaker_failures,
            reset_after_s=settings.breaker_reset_s,
            clock=clock,
        )
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._http = httpx.AsyncClient(
            base_url=url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {settings.api_key.get_secret_value()}"},
            limits=httpx.Limits(
                max_connections=settings.concurrency,
                max_keepalive_connections=settings.concurrency,
            ),
            transport=transport,
        )

    @property
    def base_url(self) -> str:
        """The server's OpenAI API root, ending in a slash."""
        return str(self._http.base_url)

    @property
    def dialect(self) -> LlmDialect:
        """How this server wants structured output asked for."""
        return self._settings.dialect

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> OpenAICompatibleClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def chat(
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
        """One chat completion, constrained to `json_schema` when given.

        Raises:
            LlmError: a subclass saying why no completion came back (see errors.py).
        """
        body = self._body(messages, max_tokens=max_tokens, temperature=temperature)
        if json_schema is not None:
            body.update(
                structured_output_fields(self.dialect, name=schema_name, schema=json_schema)
            )
        started = self._clock()
        deadline = started + (timeout_s or self._settings.timeout_s)
        if self._settings.dialect is LlmDialect.LLAMA_CPP and self._settings.stream_to_cancel:
            text, finish_reason, usage, attempts = await self._chat_streamed(body, deadline)
            model = self._settings.model
        else:
            payload, attempts = await self._with_retries(
                lambda: self._post(body, deadline), deadline
            )
            text, finish_reason = _first_choice(payload)
            usage = TokenUsage.from_openai(payload.get("usage")) or TokenUsage(exact=False)
            model = str(payload.get("model") or self._settings.model)
        self.ledger.record(call_id=call_id, node=node, usage=usage)
        return ChatResult(
            text=text,
            finish_reason=finish_reason,
            usage=usage,
            latency_ms=(self._clock() - started) * 1000.0,
            attempts=attempts,
            model=model,
        )

    async def _chat_streamed(
        self, body: dict[str, Any], deadline: float
    ) -> tuple[str, str | None, TokenUsage, int]:
        """One completion read from a stream, abandoned (connection closed) at the deadline.

        llama-cpp-python finishes a non-streamed request even after its client gave up,
        holding its single context while the next requests queue and time out in turn; a
        stream it stops at the next token once the connection is gone.
        """
        body = {**body, **stream_fields(self.dialect)}
        response, attempts = await self._with_retries(
            # Headers prove little (llama-cpp-python sends them before its queue lets the
            # request run): only a finished reply counts as a success for the breaker.
            lambda: self._open_stream(body, deadline, success_on_open=False), deadline
        )
        pieces: list[str] = []
        finish_reason: str | None = None
        usage: TokenUsage | None = None
        try:
            async with asyncio.timeout(self._left(deadline)):
                if "event-stream" not in response.headers.get("content-type", "event-stream"):
                    # A server that ignores `stream` answers with one completion: use it.
                    payload = _json_object((await response.aread()).decode("utf-8", "replace"))
                    text, finish_reason = _first_choice(payload)
                    self.breaker.record_success()
                    return text, finish_reason, TokenUsage.from_openai(
                        payload.get("usage")) or TokenUsage(exact=False), attempts
                async for data in iter_sse_data(response.aiter_lines()):
                    if data == DONE:
                        break
                    chunk = _json_object(data)
                    if "error" in chunk:
                        raise LlmBadResponseError(f"error in stream: {str(chunk['error'])[:200]}")
                    usage = TokenUsage.from_openai(chunk.get("usage")) or usage
                    for choice in chunk.get("choices") or []:
                        pieces.extend(filter(None, [(choice.get("delta") or {}).get("content")]))
                        finish_reason = choice.get("finish_reason") or finish_reason
        except LlmBadResponseError:
            self.breaker.record_failure()
            raise
        except (TimeoutError, httpx.TimeoutException) as exc:
            self.breaker.record_failure()
            raise LlmTimeoutError(f"reply unfinished after {len(pieces)} deltas") from exc
        except httpx.TransportError as exc:
            self.breaker.record_failure()
            raise LlmTransportError(f"stream broke: {exc!r}") from exc
        except BaseException:
            self.breaker.release()  # cancelled: no verdict on the server
            raise
        finally:
            await response.aclose()
            self._slots.release()
        self.breaker.record_success()
        # Our embedded server ends its streams with usage; a bare llama-cpp-python server
        # sends none: then about one delta per token (estimated), prompt unknown.
        usage = usage or TokenUsage(completion_tokens=len(pieces), exact=False)
        return "".join(pieces), finish_reason, usage, attempts

    async def stream_text(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        call_id: str = "",
        node: str = "",
        timeout_s: float | None = None,
    ) -> AsyncGenerator[str, None]:
        """Yield the reply's text deltas as the server produces them.

        Opening the stream is retried like `chat`; once text has flowed a failure is raised
        (replaying would repeat text). `timeout_s` bounds the opening and each silence
        between chunks. Usage is recorded when the stream ends, also when the consumer stops
        early; close the iterator (`contextlib.aclosing`) to free its slot promptly.
        """
        body = self._body(messages, max_tokens=max_tokens, temperature=temperature)
        body.update(stream_fields(self.dialect))
        budget = timeout_s or self._settings.timeout_s
        deadline = self._clock() + budget
        response, _ = await self._with_retries(lambda: self._open_stream(body, deadline), deadline)
        usage: TokenUsage | None = None
        deltas = 0
        try:
            async for data in iter_sse_data(response.aiter_lines()):
                if data == DONE:
                    break
                chunk = _json_object(data)
                if "error" in chunk:  # vLLM reports a failure inside an open stream this way
                    raise LlmBadResponseError(f"error in stream: {str(chunk['error'])[:200]}")
                usage = TokenUsage.from_openai(chunk.get("usage")) or usage
                for choice in chunk.get("choices") or []:
                    content = (choice.get("delta") or {}).get("content")
                    if content:
                        deltas += 1
                        yield content
        except httpx.TimeoutException as exc:
            self.breaker.record_failure()
            raise LlmTimeoutError(f"stream stalled for {budget:.1f}s") from exc
        except httpx.TransportError as exc:
            self.breaker.record_failure()
            raise LlmTransportError(f"stream broke: {exc!r}") from exc
        finally:
            await response.aclose()
            self._slots.release()
            # Without a usage chunk (a bare llama-cpp-python server) count the deltas.
            usage = usage or TokenUsage(completion_tokens=deltas, exact=False)
            self.ledger.record(call_id=call_id, node=node, usage=usage)

    def _body(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> dict[str, Any]:
        return {
            "model": self._settings.model,
            "messages": [dict(m) for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            **sampling_fields(self.dialect, repeat_penalty=self._settings.repeat_penalty),
        }

    async def _with_retries(
        self, attempt: Callable[[], Awaitable[_T]], deadline: float
    ) -> tuple[_T, int]:
        retries = 0
        while True:
            try:
                return await attempt(), retries + 1
            except LlmError as error:
                if not self._retry.should_retry(error, retries_done=retries):
                    raise
                delay = self._retry.delay_s(error, retries_done=retries, rng=self._rng)
                if self._clock() + delay >= deadline:
                    raise
                await self._sleep(delay)
                retries += 1

    async def _acquire_slot(self, deadline: float) -> None:
        # Fail fast on an open breaker before queueing behind requests that are hanging.
        if self.breaker.state is BreakerState.OPEN:
            raise BreakerOpenError(f"after {self.breaker.consecutive_failures} failures")
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise LlmTimeoutError("time budget spent")
        try:
            async with asyncio.timeout(remaining):
                await self._slots.acquire()
        except TimeoutError as exc:
            raise LlmTimeoutError("no free concurrency slot in time") from exc
        if not self.breaker.allow():
            self._slots.release()
            raise BreakerOpenError(f"after {self.breaker.consecutive_failures} failures")

    async def _post(self, body: dict[str, Any], deadline: float) -> dict[str, Any]:
        await self._acquire_slot(deadline)
        try:
            response = await self._send(
                self._http.build_request(
                    "POST", "chat/completions", json=body, timeout=self._left(deadline)
                ),
                stream=False,
            )
            payload = _json_object(response.text)
        except LlmBadResponseError:
            self.breaker.record_failure()
            raise
        finally:
            self._slots.release()
        self.breaker.record_success()
        return payload

    async def _open_stream(
        self, body: dict[str, Any], deadline: float, *, success_on_open: bool = True
    ) -> httpx.Response:
        await self._acquire_slot(deadline)
        try:
            request = self._http.build_request(
                "POST", "chat/completions", json=body, timeout=self._left(deadline)
            )
            response = await self._send(request, stream=True)
        except BaseException:
            self._slots.release()
            raise
        if success_on_open:
            self.breaker.record_success()
        return response

    async def _send(self, request: httpx.Request, *, stream: bool) -> httpx.Response:
        """Send once; map failures to LlmError and tell the breaker what happened."""
        try:
            response = await self._http.send(request, stream=stream)
        except httpx.TimeoutException as exc:
            self.breaker.record_failure()
            raise LlmTimeoutError(repr(exc)) from exc
        except httpx.TransportError as exc:
            self.breaker.record_failure()
            raise LlmTransportError(repr(exc)) from exc
        except BaseException:
            self.breaker.release()
            raise
        if response.is_success:
            return response
        if stream:
            await response.aread()
            await response.aclose()
        error = LlmHttpError(
            response.status_code,
            response.text[:300],
            retry_after_s=parse_retry_after(response.headers.get("retry-after")),
        )
        # 5xx and 429 say the server is unwell; any other status proves it is up.
        if response.status_code >= 500 or response.status_code == 429:
            self.breaker.record_failure()
        else:
            self.breaker.record_success()
        raise error

    def _left(self, deadline: float) -> float:
        return max(0.001, deadline - self._clock())


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LlmBadResponseError(f"not JSON: {text[:120]!r}") from exc
    if not isinstance(value, dict):
        raise LlmBadResponseError(f"not a JSON object: {text[:120]!r}")
    return value


def _first_choice(payload: Mapping[str, Any]) -> tuple[str, str | None]:
    choices = payload.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise LlmBadResponseError("no choices in the completion")
    message = choices[0].get("message") or {}
    content = message.get("content") if isinstance(message, dict) else None
    reason = choices[0].get("finish_reason")
    return (content if isinstance(content, str) else ""), (
        reason if isinstance(reason, str) else None
    )
