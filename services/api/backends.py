"""What the API needs from the rest of the system, as ports; wiring.py builds the real ones."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from services.api.keys import KeyStore
from services.privacy import PiiVault
from services.schemas import CallEnded, CallStarted, Message, Topic

if TYPE_CHECKING:  # services.api.lifecycle raises the API's errors, which import this module
    from services.api.lifecycle import CallRecord


class BackendUnavailable(RuntimeError):
    """A backend (broker, database, model) could not do its part right now; retry later."""


class RecordNotFound(LookupError):
    """A command's target does not exist; the message is the client-facing reason."""


class RecordConflict(ValueError):
    """A command clashes with its target's state; the message is the client-facing reason."""


class EventPublisher(Protocol):
    """Puts ingested call events on Kafka; returns once the broker acknowledged them."""

    def publish(self, topic: Topic, message: Message) -> None:
        """Send and wait for the acknowledgement; raise BackendUnavailable if none came."""
        ...

    def healthy(self) -> bool:
        """Whether the broker answers."""
        ...


class CallRegistry(Protocol):
    """The calls ingestion may write to (services.api.lifecycle), and their start and end."""

    def record(self, call_id: str) -> CallRecord:
        """The call's phase (not started, started, ended) and customer."""
        ...

    def started(self, event: CallStarted) -> None:
        """Record an accepted start (idempotent)."""
        ...

    def ended(self, event: CallEnded) -> None:
        """Record an accepted end (idempotent)."""
        ...


class CallReadModel(Protocol):
    """Read side over the database: queries only (the writes are ApiCommands)."""

    def call_view(self, call_id: str) -> dict[str, Any] | None:
        """Timeline, insights, summary, dispute and churn of one call."""
        ...

    def pending_approvals(self) -> list[dict[str, Any]]:
        """Credits waiting for a supervisor."""
        ...

    def churn_flags(self, *, limit: int) -> list[dict[str, Any]]:
        """Most recent churn flags."""
        ...

    def handoffs(self, *, limit: int) -> list[dict[str, Any]]:
        """Calls and chats waiting for a human agent, oldest first."""
        ...

    def recent_calls(
        self,
        *,
        limit: int,
        customer_id: str | None = None,
        offset: int = 0,
        status: str | None = None,
    ) -> list[dict[str, Any]]:
        """Latest calls with intent, churn and dispute headline; filters and paging."""
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


class ApiCommands(Protocol):
    """The writes the API owns besides ingestion: approval decisions and handoff claims."""

    def decide_approval(
        self, approval_id: str, *, approve: bool, decided_by: str
    ) -> dict[str, Any]:
        """Record the decision; RecordNotFound if unknown, RecordConflict if decided otherwise."""
        ...

    def claim_handoff(self, handoff_id: str, *, claimed_by: str) -> dict[str, Any]:
        """Give a waiting handoff to `claimed_by`; RecordNotFound, RecordConflict if taken."""
        ...


class AccessLog(Protocol):
    """Where every read of personal data is recorded (who, what, when)."""

    def record(
        self,
        *,
        key_id: str,
        role: str,
        subject: str,
        action: str,
        resource: str,
        resource_id: str,
        customer_id: str | None,
    ) -> None:
        """Append one entry; raise if it could not be stored (the read is then refused)."""
        ...


class AssistantChat(Protocol):
    """The text assistant on the same agent graph."""

    def reply(self, *, session_id: str, customer_id: str, text: str) -> AsyncIterator[str]:
        """Stream the reply in pieces; the input is already redacted.

        `customer_id` is the authenticated customer's. Errors raised before the first piece
        become HTTP errors: ValueError when the session belongs to another customer (404,
        as for any resource that is not the caller's), BackendUnavailable (503).
        """
        ...

    def session(self, *, session_id: str, customer_id: str) -> dict[str, Any] | None:
        """The session's turns (redacted), disputes and credits; None unless it is theirs."""
        ...


@dataclass
class ApiBackends:
    """Everything the routers use; owned by the app's lifespan.

    `chat` is None when the assistant could not be built; `chat_unavailable` says why.
    `keys` holds the database keys (None: settings keys only). `access_log` None means
    nothing reads personal data: the routes that would refuse with 503. `vault` seals
    identifiers said in calls and opens them for their owner (None: masked only). `async_closers`
    run on the app's event loop at shutdown (async clients must be closed there).
    """

    publisher: EventPublisher
    read_model: CallReadModel
    commands: ApiCommands
    calls: CallRegistry
    chat: AssistantChat | None = None
    chat_unavailable: str | None = None
    keys: KeyStore | None = None
    access_log: AccessLog | None = None
    vault: PiiVault | None = None
    async_closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
