r"""How each OpenAI-compatible server wants structured output and stream usage asked for.

- vLLM: the OpenAI `response_format` `json_schema` form, compiled to a grammar by its
  structured-output backend (xgrammar or guidance). vLLM also accepts the extra-body field
  `structured_outputs: {"json": schema}`; the older `guided_json` field was deprecated and
  removed in vLLM 0.12, so it is never sent. Streams report usage with
  `stream_options.include_usage`.
- llama-cpp-python's server: `{"type": "json_object", "schema": ...}` turns the schema into
  a GBNF grammar; it answers `json_schema` with a 500. Its streams carry no usage (our
  embedded server, services/llm/serve.py, adds it to the last chunk). It takes llama.cpp's
  `repeat_penalty`, sent from the settings (1.1: small models loop without it). Its
  converter mistranslates `\d` in a `pattern` (`20\d{2}` became `"20\d20\d"`),
  llama.cpp rejects that grammar and the server process dies, so patterns are rewritten
  to `[0-9]` first. The grammar is checked against the whole vocabulary (262k tokens for
  Gemma 3) at every step: measured here, free-text string fields decode 3-4 times slower
  per token than unconstrained text, while enums, integers and booleans stay cheap.
  Qwen2.5's vocabulary is 152k tokens; bench/llm_engine.py measures the grammar's cost.
  Sampling without the grammar first and validating afterwards does not pay off with the
  embedded 270M model: unconstrained, it echoes the system prompt instead of JSON
  (0 of 4 schemas valid, see bench/llm_routing.py), so every call would be paid twice.
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
    "llama_cpp_schema",
    "reports_stream_usage",
    "sampling_fields",
    "schema_name",
    "stream_fields",
    "strict_schema",
    "structured_output_fields",
    "without_digit_escapes",
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
        return {"response_format": {"type": "json_object", "schema": llama_cpp_schema(schema)}}
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


def llama_cpp_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `schema` whose regex patterns llama.cpp's grammar converter handles."""
    rewritten: dict[str, Any] = copy.deepcopy(dict(schema))
    _rewrite_patterns(rewritten)
    return rewritten


def without_digit_escapes(pattern: str) -> str:
    r"""`pattern` with `\d` spelled as a digit range (`[0-9]`, or `0-9` inside a class)."""
    out: list[str] = []
    in_class, index = False, 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            pair = pattern[index : index + 2]
            out.append(("0-9" if in_class else "[0-9]") if pair == "\\d" else pair)
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        index += 1
    return "".join(out)


def _rewrite_patterns(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                node[key] = without_digit_escapes(value)
            else:
                _rewrite_patterns(value)
    elif isinstance(node, list):
        for item in node:
            _rewrite_patterns(item)


def sampling_fields(dialect: LlmDialect, *, repeat_penalty: float) -> dict[str, Any]:
    """Request-body sampling fields beyond the OpenAI ones this server takes.

    Only llama-cpp-python gets `repeat_penalty` (its own default is also 1.1, sent anyway
    so the setting rules); vLLM's `repetition_penalty` works differently and a production
    model is tuned without it, and OpenAI rejects unknown fields.
    """
    if dialect is LlmDialect.LLAMA_CPP and repeat_penalty:
        return {"repeat_penalty": repeat_penalty}
    return {}


def reports_stream_usage(dialect: LlmDialect) -> bool:
    """Whether the server appends a `usage` chunk to a stream when asked (`stream_options`).

    llama-cpp-python cannot be asked; our embedded server sends usage unasked, and the
    client takes usage from whichever chunk carries it.
    """
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
