"""SQLAlchemy 2.0 typed models; money is whole won, timestamps are UTC."""

from services.db.models.access import AccessLogRow, ApiKeyRow
from services.db.models.base import NAMING_CONVENTION, Base, JsonType, UtcDateTime
from services.db.models.billing import (
    Consent,
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    Plan,
    UsageRecordRow,
)
from services.db.models.calls import (
    Call,
    ChurnFlag,
    Dispute,
    InsightRow,
    RetentionOffer,
    SummaryRow,
    UtteranceRow,
)
from services.db.models.handoffs import HANDOFF_STATUSES, HandoffRow
from services.db.models.money import APPROVAL_STATUSES, Approval, Credit
from services.db.models.ops import AuditEntry, ProcessedMessage

__all__ = [
    "APPROVAL_STATUSES",
    "HANDOFF_STATUSES",
    "AccessLogRow",
    "ApiKeyRow",
    "NAMING_CONVENTION",
    "Approval",
    "AuditEntry",
    "Base",
    "Call",
    "ChurnFlag",
    "Consent",
    "Credit",
    "Customer",
    "Dispute",
    "HandoffRow",
    "InsightRow",
    "Invoice",
    "InvoiceLine",
    "JsonType",
    "Payment",
    "Plan",
    "ProcessedMessage",
    "RetentionOffer",
    "SummaryRow",
    "UsageRecordRow",
    "UtcDateTime",
    "UtteranceRow",
]
