"""The runtime context: every port and limit a node may use, injected per invocation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.intents.classifier import IntentClassifier
from agents.limits import AgentLimits
from agents.ports import ApprovalStore, AuditLog, BillingRepository, ChatModel, Clock, CreditLedger

__all__ = ["AgentContext"]


@dataclass(frozen=True, slots=True)
class AgentContext:
    """Ports and limits for one graph run; built once per process by the composition root.

    `chat_model` is None when the LLM is disabled: every node then takes its deterministic
    path and records the fallback reason "disabled".
    """

    billing: BillingRepository
    ledger: CreditLedger
    approvals: ApprovalStore
    audit: AuditLog
    clock: Clock
    intents: IntentClassifier
    limits: AgentLimits = field(default_factory=AgentLimits)
    """The thresholds and money limits, mapped from the process settings by the root."""
    chat_model: ChatModel | None = None
    callbacks: tuple[Any, ...] = ()
    """LangChain callback handlers attached to every graph run (e.g. spans per node)."""
