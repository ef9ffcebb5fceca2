"""Database adapter: models, engine, migrations, repositories, seeding and checkpointer."""

from services.db.checkpointer import libpq_conninfo, open_checkpointer
from services.db.engine import create_engine_from_settings, make_engine, session_factory
from services.db.errors import (
    ApprovalAlreadyDecided,
    ApprovalNotFound,
    DbError,
    IdempotencyConflict,
)
from services.db.migrate import current_revision, downgrade, head_revision, upgrade
from services.db.repositories import (
    RETENTION_OFFER_ACTION,
    SqlApprovalStore,
    SqlAuditLog,
    SqlBillingRepository,
    SqlCallStore,
    SqlCreditLedger,
    mark_processed,
    record_call_ended,
    record_call_started,
    record_insight,
    record_summary,
    record_utterance,
)
from services.db.seed import seed_world
from services.db.views import (
    ApprovalView,
    CallHeader,
    CallView,
    ChurnFlagView,
    CreditView,
    CustomerView,
    DisputeView,
)

__all__ = [
    "RETENTION_OFFER_ACTION",
    "ApprovalAlreadyDecided",
    "ApprovalNotFound",
    "ApprovalView",
    "CallHeader",
    "CallView",
    "ChurnFlagView",
    "CreditView",
    "CustomerView",
    "DbError",
    "DisputeView",
    "IdempotencyConflict",
    "SqlApprovalStore",
    "SqlAuditLog",
    "SqlBillingRepository",
    "SqlCallStore",
    "SqlCreditLedger",
    "create_engine_from_settings",
    "current_revision",
    "downgrade",
    "head_revision",
    "libpq_conninfo",
    "make_engine",
    "mark_processed",
    "open_checkpointer",
    "record_call_ended",
    "record_call_started",
    "record_insight",
    "record_summary",
    "record_utterance",
    "seed_world",
    "session_factory",
    "upgrade",
]
