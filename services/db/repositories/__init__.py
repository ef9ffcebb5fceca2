"""Implementations of agents.ports and the call store, on SQLAlchemy sessions."""

from services.db.repositories.approvals import SqlApprovalStore
from services.db.repositories.audit import SqlAuditLog
from services.db.repositories.billing import SqlBillingRepository
from services.db.repositories.call_store import SqlCallStore
from services.db.repositories.call_writes import (
    RETENTION_OFFER_ACTION,
    mark_processed,
    record_call_ended,
    record_call_started,
    record_insight,
    record_summary,
    record_utterance,
)
from services.db.repositories.handoffs import SqlHandoffQueue, record_handoff
from services.db.repositories.ledger import SqlCreditLedger

__all__ = [
    "RETENTION_OFFER_ACTION",
    "SqlApprovalStore",
    "SqlAuditLog",
    "SqlBillingRepository",
    "SqlCallStore",
    "SqlCreditLedger",
    "SqlHandoffQueue",
    "mark_processed",
    "record_call_ended",
    "record_call_started",
    "record_handoff",
    "record_insight",
    "record_summary",
    "record_utterance",
]
