"""LLM adapter: an OpenAI-compatible client (vLLM in production), the embedded llama.cpp server."""

from services.llm.breaker import BreakerState, CircuitBreaker
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
from services.llm.model import ModelNotAvailableError, embedded_model_path
from services.llm.retry import RetryPolicy, parse_retry_after
from services.llm.sync import SyncLlmClient
from services.llm.usage import TokenUsage, UsageLedger, UsageTotals

__all__ = [
    "BreakerOpenError",
    "BreakerState",
    "ChatMessage",
    "ChatResult",
    "CircuitBreaker",
    "EmbeddedLlmServer",
    "EmbeddedServerError",
    "LlmBadResponseError",
    "LlmChatModel",
    "LlmError",
    "LlmHttpError",
    "LlmTimeoutError",
    "LlmTransportError",
    "ModelNotAvailableError",
    "OpenAICompatibleClient",
    "RetryPolicy",
    "SyncLlmClient",
    "TokenUsage",
    "UsageLedger",
    "UsageTotals",
    "build_chat_model",
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
