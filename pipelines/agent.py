"""The agent stage: transcripts in, one insight per customer utterance and a summary per call.

Decisions:
- State lives in the graph's checkpointer (thread_id = call_id), not in this worker, so a
  partition that moves to another worker resumes its calls where they were.
- Redelivery: the inbox (`mark_processed`) is marked first, but only says "maybe seen";
  the call's checkpoint decides. A seen message whose effects are in the checkpoint is
  answered from it (its insight or summary re-emitted with the same message id, which the
  idempotent sink replaces); otherwise the graph runs, and the graph itself skips a seq it
  already processed. The checkpointer has its own connection, so inbox and checkpoint
  cannot share one transaction; this order makes that safe, and credits are keyed in the
  ledger anyway.
- An utterance of a call never started opens it implicitly with an unknown customer
  (live assistance keeps working, the dispute path reads no one's bill); a late
  CallStarted then adopts its customer. Dead-lettering would lose the whole call.
- CallEnded waits until seqs 0..n-1 are all processed (the ASR may still be finishing the
  last ones); it is held in memory, its offset is not committed past (`safe_offset`), and
  after `end_wait_s` the call is summarized with what arrived.
- ApprovalDecided only wakes the approval's thread up; the store is re-read there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from agents.graph import (
    AgentContext,
    AgentGraph,
    call_state,
    end_call,
    handle_utterance,
    resume_approval,
    start_call,
)
from pipelines.stage import Incoming, Outgoing, PoisonMessage
from services.schemas import (
    ApprovalDecided,
    CallEnded,
    CallInsight,
    CallStarted,
    CallSummary,
    Speaker,
    Topic,
    Utterance,
)

__all__ = ["AgentHandler", "AgentStats", "Inbox"]

_log = logging.getLogger(__name__)


class Inbox(Protocol):
    """The processed-message inbox (services.db.SqlCallStore implements it)."""

    def mark_processed(self, *, consumer: str, message_id: str) -> bool:
        """Record the message; False if this consumer had already recorded it."""
        ...


@dataclass(slots=True)
class AgentStats:
    """Counters for metrics and tests."""

    utterances: int = 0
    insights: int = 0
    summaries: int = 0
    replayed: int = 0
    held_ends: int = 0
    forced_ends: int = 0
    approvals: int = 0


@dataclass(slots=True)
class _HeldEnd:
    ended: CallEnded
    partition: int
    offset: int
    deadline: float


class AgentHandler:
    """Stage handler running the agent graph over calls.transcripts.v1."""

    name = "agent"
    sources: tuple[Topic, ...] = (Topic.TRANSCRIPTS,)

    def __init__(
        self,
        graph: AgentGraph,
        context: AgentContext,
        *,
        inbox: Inbox | None = None,
        end_wait_s: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._graph, self._context, self._inbox = graph, context, inbox
        self._end_wait_s = end_wait_s
        self._monotonic = monotonic
        self._held: dict[str, _HeldEnd] = {}
        self.stats = AgentStats()

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        """Run one transcript event through the graph."""
        message = incoming.message
        seen = self._inbox is not None and not self._inbox.mark_processed(
            consumer=self.name, message_id=message.message_id)
        if isinstance(message, Utterance):
            return self._utterance(message, seen=seen)
        if isinstance(message, CallStarted):
            start_call(self._graph, self._context, message)
            return []
        if isinstance(message, CallEnded):
            return self._ended(message, incoming, seen=seen)
        if isinstance(message, ApprovalDecided):
            self.stats.approvals += 1
            if resume_approval(self._graph, self._context, call_id=message.call_id,
                               approval_id=message.approval_id) is None:
                _log.warning("approval %s of call %s is unknown; ignored",
                             message.approval_id, message.call_id)
            return []
        raise PoisonMessage(f"agent stage cannot handle {type(message).__name__}")

    def tick(self, now: float) -> Sequence[Outgoing]:
        """Summarize held calls whose missing utterances never came."""
        late = [held for held in self._held.values() if held.deadline <= now]
        outputs: list[Outgoing] = []
        for held in late:
            self.stats.forced_ends += 1
            missing = self._missing(held.ended)
            self._context.audit.record(call_id=held.ended.call_id, actor="stage:agent",
                                       action="summary_with_missing_utterances",
                                       detail={"missing": sorted(missing)[:50]})
            outputs += self._summarize(held.ended)
        return outputs

    def safe_offset(self, partition: int) -> int | None:
        """Never commit past a CallEnded still waiting for its utterances."""
        offsets = [h.offset for h in self._held.values() if h.partition == partition]
        return min(offsets) if offsets else None

    def revoke(self, partitions: Collection[int]) -> None:
        """Forget held ends of lost partitions; the new owner re-reads them."""
        for call_id in [c for c, h in self._held.items() if h.partition in partitions]:
            del self._held[call_id]

    def _utterance(self, utterance: Utterance, *, seen: bool) -> list[Outgoing]:
        self.stats.utterances += 1
        outputs: list[Outgoing] = []
        replay = self._replay(utterance) if seen else None
        if replay is not None:
            self.stats.replayed += 1
            outputs.append(Outgoing(Topic.INSIGHTS, replay))
        else:
            turn = handle_utterance(self._graph, self._context, utterance)
            self.stats.replayed += int(turn.duplicate)
            if turn.insight is not None:
                self.stats.insights += 1
                outputs.append(Outgoing(Topic.INSIGHTS, turn.insight))
        held = self._held.get(utterance.call_id)
        if held is not None and not self._missing(held.ended):
            outputs += self._summarize(held.ended)
        return outputs

    def _replay(self, utterance: Utterance) -> CallInsight | None:
        state = call_state(self._graph, utterance.call_id)
        stored = state.get("insights", {}).get(str(utterance.seq))
        if stored is not None and utterance.speaker is Speaker.CUSTOMER:
            return CallInsight.model_validate(stored)
        return None

    def _ended(self, ended: CallEnded, incoming: Incoming, *, seen: bool) -> list[Outgoing]:
        stored = call_state(self._graph, ended.call_id).get("summary") if seen else None
        if stored is not None:  # redelivered after the summary was made: no second LLM call
            self.stats.replayed += 1
            return [Outgoing(Topic.SUMMARIES, CallSummary.model_validate(stored))]
        if not self._missing(ended):
            return self._summarize(ended)
        if ended.call_id not in self._held:
            self.stats.held_ends += 1
            self._held[ended.call_id] = _HeldEnd(ended, incoming.partition, incoming.offset,
                                                 self._monotonic() + self._end_wait_s)
        return []

    def _missing(self, ended: CallEnded) -> set[int]:
        done = set(call_state(self._graph, ended.call_id).get("processed_seqs", []))
        return set(range(ended.utterances)) - done

    def _summarize(self, ended: CallEnded) -> list[Outgoing]:
        self._held.pop(ended.call_id, None)
        summary: CallSummary = end_call(self._graph, self._context, ended)
        self.stats.summaries += 1
        return [Outgoing(Topic.SUMMARIES, summary)]
