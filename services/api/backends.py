"""What the API needs from the rest of the system, as ports; wiring.py builds the real ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

from services.schemas import Message, Topic


class BackendUnavailable(RuntimeError):
    """A backend (broker, database, model) could not do its part right now; retry later."""


class EventPublisher(Protocol):
    """Puts ingested call events on Kafka; returns once the broker acknowledged them."""

    def publish(self, topic: Topic, message: Message) -> None:
        """Send and wait for the acknowledgement; raise BackendUnavailable if none came."""
        ...

    def healthy(self) -> bool:
        """Whether the broker answers."""
        ...


class CallReadModel(Protocol):
    """Read side over the database, plus the one write the API owns (approval decisions)."""

    def call_view(self, call_id: str) -> dict[str, Any] | None:
        """Timeline, insights, summary, dispute and churn of one call."""
        ...

    def pending_approvals(self) -> list[dict[str, Any]]:
        """Credits waiting for a supervisor."""
        ...

    def decide_approval(
        self, approval_id: str, *, approve: bool, decided_by: str
    ) -> dict[str, Any]:
        """Record the decision; raises LookupError if unknown, ValueError if already decided."""
        ...

    def churn_flags(self, *, limit: int) -> list[dict[str, Any]]:
        """Most recent churn flags."""
        ...

    def recent_calls(self, *, limit: int) -> list[dict[str, Any]]:
        """Latest calls with their intent, churn and dispute headline."""
        ...

    def customer_view(self, customer_id: str) -> dict[str, Any] | None:
        """Customer, plan, recent invoices, credits and calls."""
        ...

    def audit_trail(self, call_id: str, *, limit: int) -> list[dict[str, Any]]:
        """Every node, tool call and model call of a call (redacted), oldest first."""
        ...

    def healthy(self) -> bool:
        """Whether the database answers."""
        ...


class AssistantChat(Protocol):
    """The text assistant on the same agent graph."""

    def reply(self, *, session_id: str, customer_id: str, text: str) -> AsyncIterator[str]:
        """Stream the reply in pieces; the input is already redacted.

        Errors raised before the first piece become HTTP errors: ValueError when the
        session belongs to another customer (409), BackendUnavailable (503).
        """
        ...


@dataclass
class ApiBackends:
    """Everything the routers use; owned by the app's lifespan.

    `chat` is None when the assistant could not be built; `chat_unavailable` says why.
    """

    publisher: EventPublisher
    read_model: CallReadModel
    chat: AssistantChat | None = None
    chat_unavailable: str | None = None
