"""LLM adapter: OpenAI-compatible client (vLLM in production), embedded llama.cpp server, models."""

from services.llm.breaker import BreakerState, CircuitBreaker
from services.llm.catalog import CATALOG, DEFAULT_EMBEDDED_MODEL, EmbeddedModel, embedded_model
from services.llm.chat_model import LlmChatModel, build_chat_model, redacted_messages
from services.llm.client import ChatMessage, ChatResult, OpenAICompatibleClient
from services.llm.dialects import (
    reports_stream_usage,
    schema_name,
    stream_fields,
    strict_schema,
    structured_output_fields,
)
from services.llm.embedded import EmbeddedLlmServer, EmbeddedServerError, llm_endpoint
from services.llm.errors import (
    BreakerOpenError,
    LlmBadResponseError,
    LlmError,
    LlmHttpError,
    LlmTimeoutError,
    LlmTransportError,
)
from services.llm.model import ModelChecksumError, ModelNotAvailableError, embedded_model_path
from services.llm.retry import RetryPolicy, parse_retry_after
from services.llm.sync import SyncLlmClient
from services.llm.usage import TokenUsage, UsageLedger, UsageTotals

__all__ = [
    "CATALOG",
    "DEFAULT_EMBEDDED_MODEL",
    "BreakerOpenError",
    "BreakerState",
    "ChatMessage",
    "ChatResult",
    "CircuitBreaker",
    "EmbeddedLlmServer",
    "EmbeddedModel",
    "EmbeddedServerError",
    "LlmBadResponseError",
    "LlmChatModel",
    "LlmError",
    "LlmHttpError",
    "LlmTimeoutError",
    "LlmTransportError",
    "ModelChecksumError",
    "ModelNotAvailableError",
    "OpenAICompatibleClient",
    "RetryPolicy",
    "SyncLlmClient",
    "TokenUsage",
    "UsageLedger",
    "UsageTotals",
    "build_chat_model",
    "embedded_model",
    "embedded_model_path",
    "llm_endpoint",
    "parse_retry_after",
    "redacted_messages",
    "reports_stream_usage",
    "schema_name",
    "stream_fields",
    "strict_schema",
    "structured_output_fields",
]
