"""The core's vocabulary: domain enums and records; imports only the standard library and pydantic.

The wire contracts (services.schemas) reuse these; the core never imports the wire package
for its own words.
"""

from agents.domain.billing import (
    AnomalyKind,
    BillingWorld,
    ChargeKind,
    ConsentRecord,
    CustomerRecord,
    InvoiceLineRecord,
    InvoiceRecord,
    PaymentRecord,
    PlanRecord,
    UsageKind,
    UsageRecord,
)
from agents.domain.conversation import Intent, IntentTier, RevisionSource, Speaker, SummarySource
from agents.domain.decisions import (
    ChurnSignal,
    DisputeDecision,
    DisputeOutcome,
    HandoffReason,
    PhishingEvidence,
)
from agents.domain.record import Record
from agents.domain.summary_items import (
    FollowUpAction,
    IdentifierKind,
    MentionedAmount,
    MentionedDate,
    MentionedIdentifier,
    SealedIdentifier,
    SummaryItems,
    SummarySection,
)

__all__ = [
    "AnomalyKind",
    "BillingWorld",
    "ChargeKind",
    "ChurnSignal",
    "ConsentRecord",
    "CustomerRecord",
    "DisputeDecision",
    "DisputeOutcome",
    "FollowUpAction",
    "HandoffReason",
    "IdentifierKind",
    "Intent",
    "IntentTier",
    "InvoiceLineRecord",
    "InvoiceRecord",
    "MentionedAmount",
    "MentionedDate",
    "MentionedIdentifier",
    "PaymentRecord",
    "PhishingEvidence",
    "PlanRecord",
    "Record",
    "RevisionSource",
    "SealedIdentifier",
    "Speaker",
    "SummaryItems",
    "SummarySection",
    "SummarySource",
    "UsageKind",
    "UsageRecord",
]
