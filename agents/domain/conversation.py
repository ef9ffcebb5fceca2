"""Who speaks, what the customer wants, and who wrote a revision of a result."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Intent", "IntentTier", "RevisionSource", "Speaker", "SummarySource"]


class Speaker(StrEnum):
    """Which side of the call spoke (and which audio channel it came on)."""

    CUSTOMER = "customer"
    AGENT = "agent"


class Intent(StrEnum):
    """What the customer wants; the classifier's label set."""

    BILLING_DISPUTE = "billing_dispute"
    BILLING_INQUIRY = "billing_inquiry"
    PAYMENT = "payment"
    PLAN_CHANGE = "plan_change"
    CANCELLATION = "cancellation"
    PORT_OUT = "port_out"
    CONTRACT_DISCOUNT = "contract_discount"
    ROAMING = "roaming"
    DATA_USAGE = "data_usage"
    DEVICE = "device"
    NETWORK_QUALITY = "network_quality"
    VALUE_ADDED_SERVICE = "value_added_service"
    MICROPAYMENT = "micropayment"
    ACCOUNT_CHANGE = "account_change"
    OTHER = "other"


class IntentTier(StrEnum):
    """Which classifier made the call."""

    FAST = "fast"
    LLM = "llm"


class RevisionSource(StrEnum):
    """Who wrote a revision of an insight or summary: the rules (first) or the model (later)."""

    RULES = "rules"
    MODEL = "model"
    # Older names of the same two values, kept for readers of summaries.
    TEMPLATE = "rules"
    LLM = "model"


SummarySource = RevisionSource
