"""How each OpenAI-compatible server wants structured output and stream usage asked for.

- vLLM: the OpenAI `response_format` `json_schema` form, compiled to a grammar by its
  structured-output backend (xgrammar or guidance). vLLM also accepts the extra-body field
  `structured_outputs: {"json": schema}`; the older `guided_json` field was deprecated and
  removed in vLLM 0.12, so it is never sent. Streams report usage with
  `stream_options.include_usage`.
- llama-cpp-python's server: `{"type": "json_object", "schema": ...}` turns the schema into
  a GBNF grammar; it answers `json_schema` with a 500. Streams carry no usage.
- OpenAI: `json_schema` with `strict: true`, which requires `additionalProperties: false`
  on every object and every property listed as required; a schema with optional fields is
  sent non-strict rather than rejected.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from services.config.settings import LlmDialect

__all__ = [
    "reports_stream_usage",
    "schema_name",
    "stream_fields",
    "strict_schema",
    "structured_output_fields",
]

_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def schema_name(raw: str) -> str:
    """A `json_schema.name` OpenAI accepts: `[A-Za-z0-9_-]{1,64}`."""
    cleaned = _NAME_UNSAFE.sub("_", raw).strip("_")[:64]
    return cleaned or "reply"


def structured_output_fields(
    dialect: LlmDialect, *, name: str, schema: Mapping[str, Any]
) -> dict[str, Any]:
    """Request-body fields that constrain the reply to `schema` on this server."""
    if dialect is LlmDialect.LLAMA_CPP:
        return {"response_format": {"type": "json_object", "schema": dict(schema)}}
    if dialect is LlmDialect.VLLM:
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": schema_name(name), "schema": dict(schema), "strict": True},
            }
        }
    strict_form, strict_ok = strict_schema(schema)
    return {
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": schema_name(name), "schema": strict_form, "strict": strict_ok},
        }
    }


def reports_stream_usage(dialect: LlmDialect) -> bool:
    """Whether the server can append a `usage` chunk to a stream."""
    return dialect is not LlmDialect.LLAMA_CPP


def stream_fields(dialect: LlmDialect) -> dict[str, Any]:
    """Request-body fields for a streamed completion."""
    fields: dict[str, Any] = {"stream": True}
    if reports_stream_usage(dialect):
        fields["stream_options"] = {"include_usage": True}
    return fields


def strict_schema(schema: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """Close every object (`additionalProperties: false`); say if strict mode can accept it.

    Returns the rewritten copy and whether every object lists all its properties as
    required, which OpenAI's strict mode demands.
    """
    rewritten: dict[str, Any] = copy.deepcopy(dict(schema))
    all_required = _close_objects(rewritten)
    return rewritten, all_required


def _close_objects(node: Any) -> bool:
    all_required = True
    if isinstance(node, dict):
        properties = node.get("properties")
        if node.get("type") == "object" or isinstance(properties, dict):
            node.setdefault("additionalProperties", False)
            if isinstance(properties, dict):
                required = set(node.get("required", []))
                all_required = required >= set(properties)
        for value in node.values():
            all_required = _close_objects(value) and all_required
    elif isinstance(node, list):
        for item in node:
            all_required = _close_objects(item) and all_required
    return all_required
