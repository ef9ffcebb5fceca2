"""Billing records on the wire: the core's own (agents.domain.billing), re-exported here.

The simulator writes them, the database keeps them, the agent tools read them.
"""

from __future__ import annotations

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

__all__ = [
    "AnomalyKind",
    "BillingWorld",
    "ChargeKind",
    "ConsentRecord",
    "CustomerRecord",
    "InvoiceLineRecord",
    "InvoiceRecord",
    "PaymentRecord",
    "PlanRecord",
    "UsageKind",
    "UsageRecord",
]
