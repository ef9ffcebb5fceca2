"""Structured-output and stream request fields per server dialect."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from services.config.settings import LlmDialect
from services.llm.dialects import (
    reports_stream_usage,
    schema_name,
    stream_fields,
    strict_schema,
    structured_output_fields,
)


class Intent(StrEnum):
    BILLING_DISPUTE = "billing_dispute"
    OTHER = "other"


class Amount(BaseModel):
    krw: int
    disputed: bool


class Claim(BaseModel):
    intent: Intent
    amount: Amount
    note: str = ""


SCHEMA = Claim.model_json_schema()


def test_llama_cpp_uses_json_object_with_schema() -> None:
    fields = structured_output_fields(LlmDialect.LLAMA_CPP, name="Claim", schema=SCHEMA)
    assert fields == {"response_format": {"type": "json_object", "schema": SCHEMA}}


def test_vllm_uses_strict_json_schema_and_no_removed_guided_fields() -> None:
    fields = structured_output_fields(LlmDialect.VLLM, name="Claim", schema=SCHEMA)
    assert fields["response_format"]["type"] == "json_schema"
    assert fields["response_format"]["json_schema"] == {
        "name": "Claim",
        "schema": SCHEMA,
        "strict": True,
    }
    assert "guided_json" not in fields


def test_openai_closes_objects_and_is_strict_only_when_all_fields_required() -> None:
    fields = structured_output_fields(LlmDialect.OPENAI, name="Claim", schema=SCHEMA)
    spec = fields["response_format"]["json_schema"]
    assert spec["strict"] is False  # `note` has a default, so it is not required
    assert spec["schema"]["additionalProperties"] is False
    assert spec["schema"]["$defs"]["Amount"]["additionalProperties"] is False
    assert "additionalProperties" not in SCHEMA  # the input is not mutated

    amount_fields = structured_output_fields(
        LlmDialect.OPENAI, name="Amount", schema=Amount.model_json_schema()
    )
    assert amount_fields["response_format"]["json_schema"]["strict"] is True


def test_strict_schema_reports_missing_required_in_nested_objects() -> None:
    schema = {
        "type": "object",
        "properties": {"inner": {"type": "object", "properties": {"a": {"type": "string"}}}},
        "required": ["inner"],
    }
    rewritten, ok = strict_schema(schema)
    assert ok is False
    assert rewritten["properties"]["inner"]["additionalProperties"] is False


def test_schema_name_is_made_safe() -> None:
    assert schema_name("Claim") == "Claim"
    assert schema_name("청구 추출/v1") == "v1"
    assert schema_name("!!!") == "reply"
    assert len(schema_name("x" * 100)) == 64


def test_stream_usage_is_requested_only_where_supported() -> None:
    assert stream_fields(LlmDialect.LLAMA_CPP) == {"stream": True}
    assert not reports_stream_usage(LlmDialect.LLAMA_CPP)
    for dialect in (LlmDialect.VLLM, LlmDialect.OPENAI):
        assert stream_fields(dialect) == {
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        assert reports_stream_usage(dialect)
