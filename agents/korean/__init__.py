"""Korean text utilities for the pure core: PII redaction and spoken-number normalization."""

from agents.korean.normalize import normalize, parse_korean_number
from agents.korean.pii import PiiKind, PiiSpan, Redaction, redact

__all__ = ["PiiKind", "PiiSpan", "Redaction", "normalize", "parse_korean_number", "redact"]
