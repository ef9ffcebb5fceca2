"""The graph's `ChatModel` over the OpenAI-compatible client: redact, ask, validate, audit."""

from __future__ import annotations

import json
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel, ValidationError

from agents.korean import redact
from agents.ports import AuditLog, ModelReply, ModelUnavailable
from services.config.settings import LlmSettings, Settings
from services.llm.client import ChatMessage, ChatResult, OpenAICompatibleClient
from services.llm.errors import LlmError
from services.llm.metrics import LLM_CALLS, LLM_FALLBACKS, LLM_LATENCY, LLM_TOKENS
from services.llm.sync import SyncLlmClient
from services.llm.usage import UsageLedger

__all__ = ["LlmChatModel", "build_chat_model", "redacted_messages"]

ModelT = TypeVar("ModelT", bound=BaseModel)


class LlmChatModel:
    """The graph's language model; every failure becomes `ModelUnavailable(reason)`.

    System and user text are redacted again here (defense in depth: callers must already
    have redacted), so personal data never reaches the wire or the audit log. Each call is
    audited with its redacted input, output, latency and tokens, and counted in Prometheus.
    The `ChatModel` port carries no call id, so a worker binds one with `for_call`.
    """

    def __init__(
        self,
        settings: LlmSettings,
        client: SyncLlmClient | None,
        *,
        audit: AuditLog | None = None,
        call_id: str = "",
    ) -> None:
        self._settings = settings
        self._client = client
        self._audit = audit
        self.call_id = call_id

    @property
    def ledger(self) -> UsageLedger | None:
        """Token totals per call and node, or None when the model is disabled."""
        return self._client.client.ledger if self._client else None

    def for_call(self, call_id: str) -> LlmChatModel:
        """A view that tags usage and audit entries with `call_id`; shares the client."""
        return LlmChatModel(self._settings, self._client, audit=self._audit, call_id=call_id)

    def budget_s(self, node: str) -> float:
        """The time budget of one model call of `node`: its `node_timeout_s`, at most `timeout_s`.

        The `ChatModel` port carries no deadline, so the adapter maps node to budget: a
        live call's intent or claim cannot wait as long as the post-call summary can.
        """
        ceiling = self._settings.timeout_s
        return min(self._settings.node_timeout_s.get(node, ceiling), ceiling)

    def close(self) -> None:
        """Release the client (only the owner of the client should call this)."""
        if self._client:
            self._client.close()

    def structured(
        self,
        *,
        node: str,
        system: str,
        user: str,
        schema: type[ModelT],
        max_tokens: int = 256,
    ) -> ModelReply:
        """A reply constrained by and validated against `schema`; `value` is a `schema`."""
        result, audit_detail = self._ask(
            node=node, system=system, user=user, max_tokens=max_tokens, schema=schema
        )
        try:
            value: BaseModel = _parse(result, schema)
        except ModelUnavailable as exc:
            self._finish(node, result, audit_detail, outcome=exc.reason)
            raise
        self._finish(node, result, audit_detail, outcome="ok")
        return _reply(value, result)

    def text(self, *, node: str, system: str, user: str, max_tokens: int = 256) -> ModelReply:
        """A free-text reply; `value` is the stripped text."""
        result, audit_detail = self._ask(
            node=node, system=system, user=user, max_tokens=max_tokens, schema=None
        )
        reply = result.text.strip()
        outcome = "ok" if reply else "empty"
        self._finish(node, result, audit_detail, outcome=outcome)
        if not reply:
            raise ModelUnavailable("empty", f"finish_reason={result.finish_reason}")
        return _reply(reply, result)

    def _ask(
        self,
        *,
        node: str,
        system: str,
        user: str,
        max_tokens: int,
        schema: type[BaseModel] | None,
    ) -> tuple[ChatResult, dict[str, Any]]:
        safe_system, safe_user = redact(system).text, redact(user).text
        detail: dict[str, Any] = {
            "node": node,
            "model": self._settings.model,
            "schema": schema.__name__ if schema else None,
            "budget_s": self.budget_s(node),
            "system": safe_system,
            "user": safe_user,
        }
        if not self._settings.enabled or self._client is None:
            self._fail(node, detail, "disabled", "KCALL_LLM_ENABLED is false")
        messages = _messages(safe_system, safe_user)
        try:
            result = self._client.chat(
                messages,
                max_tokens=max_tokens,
                json_schema=schema.model_json_schema() if schema else None,
                schema_name=schema.__name__ if schema else "reply",
                call_id=self.call_id,
                node=node,
                timeout_s=self.budget_s(node),
            )
        except LlmError as exc:
            self._fail(node, detail, exc.reason, exc.detail)
        return result, detail

    def _finish(
        self, node: str, result: ChatResult, detail: dict[str, Any], *, outcome: str
    ) -> None:
        LLM_CALLS.labels(node=node, outcome=outcome).inc()
        if outcome != "ok":
            LLM_FALLBACKS.labels(node=node, reason=outcome).inc()
        LLM_TOKENS.labels(node=node, kind="prompt").inc(result.usage.prompt_tokens)
        LLM_TOKENS.labels(node=node, kind="completion").inc(result.usage.completion_tokens)
        LLM_LATENCY.labels(node=node).observe(result.latency_ms / 1000.0)
        if self._audit is not None:
            detail = {
                **detail,
                "outcome": outcome,
                "output": redact(result.text).text,
                "finish_reason": result.finish_reason,
                "attempts": result.attempts,
                "tokens_exact": result.usage.exact,
            }
            self._audit.record(
                call_id=self.call_id,
                actor="llm",
                action=f"model_call:{node}",
                detail=detail,
                latency_ms=result.latency_ms,
                prompt_tokens=result.usage.prompt_tokens,
                completion_tokens=result.usage.completion_tokens,
            )

    def _fail(self, node: str, detail: dict[str, Any], reason: str, message: str) -> NoReturn:
        LLM_CALLS.labels(node=node, outcome=reason).inc()
        LLM_FALLBACKS.labels(node=node, reason=reason).inc()
        if self._audit is not None:
            self._audit.record(
                call_id=self.call_id,
                actor="llm",
                action=f"model_call:{node}",
                detail={**detail, "outcome": reason, "error": message[:300]},
            )
        raise ModelUnavailable(reason, message)


def redacted_messages(system: str, user: str) -> list[ChatMessage]:
    """`[system, user]` with personal data redacted, for callers that stream directly."""
    return _messages(redact(system).text, redact(user).text)


def _messages(system: str, user: str) -> list[ChatMessage]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _parse(result: ChatResult, schema: type[ModelT]) -> ModelT:
    text = result.text.strip()
    if not text:
        raise ModelUnavailable("empty", f"finish_reason={result.finish_reason}")
    try:
        # strict=False: llama.cpp's JSON grammar lets raw newlines into strings, which the
        # embedded model writes at sentence ends; the value is still the schema's.
        data = json.loads(text, strict=False)
    except json.JSONDecodeError as exc:
        raise ModelUnavailable(
            "invalid_json", f"{exc.msg} (finish_reason={result.finish_reason})"
        ) from exc
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ModelUnavailable("schema_mismatch", str(exc)[:300]) from exc


def _reply(value: Any, result: ChatResult) -> ModelReply:
    return ModelReply(
        value=value,
        prompt_tokens=result.usage.prompt_tokens,
        completion_tokens=result.usage.completion_tokens,
        latency_ms=result.latency_ms,
    )


def build_chat_model(
    settings: Settings, *, base_url: str | None = None, audit: AuditLog | None = None
) -> LlmChatModel:
    """The composition root's chat model: a client on `base_url` (or settings), or disabled.

    Raises:
        ValueError: the model is enabled but no server URL is known; start one with
            `services.llm.llm_endpoint(settings)` and pass its URL.
    """
    if not settings.llm.enabled:
        return LlmChatModel(settings.llm, None, audit=audit)
    client = OpenAICompatibleClient(settings.llm, base_url=base_url)
    return LlmChatModel(settings.llm, SyncLlmClient(client), audit=audit)
