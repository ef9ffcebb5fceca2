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
- Calls have a lifecycle (pipelines.lifecycle): an utterance or end of a call this
  worker never saw start (no CallStarted, no checkpoint) waits `start_wait_s` (the
  reorder window) for its start and is then dead-lettered with the reason, as is a new
  utterance past the count of a call already summarized, or an end that contradicts its
  count. Redeliveries of an ended call's messages are still answered from the checkpoint.
- CallEnded waits until seqs 0..n-1 are all processed (the ASR may still be finishing the
  last ones); it is held in memory, its offset is not committed past (`safe_offset`), and
  after `end_wait_s` the call is summarized with what arrived.
- A turn that sends a dispute for approval opens its wait in the approval graph
  (agents.approvals, its own thread) before the turn's outputs go out.
- ApprovalDecided wakes the approval's thread up (the store is re-read there); once it is
  settled (credited or rejected), the decision is written into the call's thread and the
  dispute's insight and, for an ended call, the summary go out again as new rules
  revisions (agents.approvals.settle_call), so the call view, the summary and the ledger
  agree. A redelivered decision re-publishes the same messages and credits nothing.
- Model work never runs here: with `model_work` set, each rules insight or summary that a
  model could improve is followed by a ModelRequest on calls.model-requests.v1, which the
  model stage answers with a later revision (or not at all, when its deadline passes).
  A replayed result re-emits its request under the same id, so a lost request is re-sent
  and a duplicate is recognised downstream.
- `handle_many` (the runner's batch path) runs consecutive utterances of one call within
  a poll batch in one graph invocation (agents.graph.handle_turns), at most
  `batch_turns` at a time; everything else (starts, ends, approvals, redeliveries, calls
  with a held end) goes through `handle` in order, after the call's pending utterances.
  Calls are independent, so only the order within a call is kept. Outputs are the same
  as one message at a time; if the batch fails, the runner handles its messages one by
  one again (the inbox then says "seen", and the checkpoint answers what was done).
- With `checkpoints` (a write-behind checkpointer, services.db.WriteBehindSaver) the
  graph's state is written to the database once per poll batch, not once per message:
  `tick` flushes it (the runner calls tick before it commits), `safe_offset` never lets a
  commit pass a message whose state is not flushed yet, and `revoke` discards unflushed
  state of lost partitions (their input was not committed; the new owner replays it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from agents.approvals import ApprovalGraph, open_approval, resume_approval, settle_call
from agents.graph import (
    MAX_TURNS_PER_RUN,
    AgentContext,
    AgentGraph,
    TurnResult,
    call_state,
    end_call,
    handle_turns,
    handle_utterance,
    handoff_of,
    phishing_alerts_of,
    start_call,
)
from agents.graph.model_work import insight_requests, summary_request
from agents.intents import IntentClassifier
from pipelines.lifecycle import CallSeen, StartGate
from pipelines.stage import Incoming, Outgoing, PoisonMessage, refuse
from services.schemas import (
    ApprovalDecided,
    CallEnded,
    CallInsight,
    CallStarted,
    CallSummary,
    GuardianAlert,
    HandoffRequested,
    PhishingAlert,
    Speaker,
    Topic,
    Utterance,
)

__all__ = ["AgentHandler", "AgentStats", "BatchInbox", "DeferredCheckpoints", "Inbox", "ModelWork"]

_log = logging.getLogger(__name__)


class Inbox(Protocol):
    """The processed-message inbox (services.db.SqlCallStore implements it)."""

    def mark_processed(self, *, consumer: str, message_id: str) -> bool:
        """Record the message; False if this consumer had already recorded it."""
        ...


@runtime_checkable
class BatchInbox(Protocol):
    """An inbox that also marks a poll batch at once (SqlCallStore)."""

    def mark_processed_many(self, *, consumer: str, message_ids: Sequence[str]) -> set[str]:
        """Record the messages in one transaction; the ids this consumer had not recorded."""
        ...


class DeferredCheckpoints(Protocol):
    """A checkpointer that keeps state in memory until flushed (WriteBehindSaver)."""

    def flush(self) -> int:
        """Make every thread's newest state durable; returns threads written."""
        ...

    def discard(self, threads: Callable[[str], bool]) -> int:
        """Forget unflushed state of the matching thread ids."""
        ...


@dataclass(frozen=True, slots=True)
class ModelWork:
    """What the agent stage needs to ask the model stage for rewordings."""

    intents: IntentClassifier
    intent_threshold: float
    deadline_s: dict[str, float]


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
    model_requests: int = 0
    flushes: int = 0
    awaited_starts: int = 0
    refused: int = 0
    phishing_alerts: int = 0
    handoffs: int = 0


@dataclass(slots=True)
class _HeldEnd:
    ended: CallEnded
    partition: int
    offset: int
    deadline: float


class AgentHandler:
    """Stage handler running the agent graph over calls.transcripts.v1.

    `graph` runs the calls' events; `approval_graph` (compiled with the same
    checkpointer) waits on and settles their approvals.
    """

    name = "agent"
    sources: tuple[Topic, ...] = (Topic.TRANSCRIPTS,)

    def __init__(
        self,
        graph: AgentGraph,
        context: AgentContext,
        *,
        approval_graph: ApprovalGraph,
        inbox: Inbox | None = None,
        end_wait_s: float = 20.0,
        model_work: ModelWork | None = None,
        checkpoints: DeferredCheckpoints | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        batch_turns: int = MAX_TURNS_PER_RUN,
        start_wait_s: float = 5.0,
    ) -> None:
        self._graph, self._context, self._inbox = graph, context, inbox
        self._approval_graph = approval_graph
        self._model_work = model_work
        self._checkpoints = checkpoints
        # Since the last flush: the lowest offset per partition whose state is only in
        # memory, and the calls touched (per partition, for revoke).
        self._unflushed: dict[int, int] = {}
        self._touched: dict[str, int] = {}
        self._carry: list[Outgoing] = []
        self._end_wait_s = end_wait_s
        self._monotonic = monotonic
        self._held: dict[str, _HeldEnd] = {}
        # A batch's utterances marked in the inbox up front: message id -> whether its next
        # occurrence is new (see _mark_batch).
        self._marked: dict[str, bool] = {}
        self._gate = StartGate(window_s=start_wait_s)
        # Turns of one call per graph invocation in handle_many (1: one per utterance).
        self.batch_turns = max(1, min(batch_turns, MAX_TURNS_PER_RUN))
        self.stats = AgentStats()

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        """Run one transcript event through the graph (or hold or refuse it, see above)."""
        admitted = self._admit(incoming)
        if admitted is not None:
            return admitted
        outputs = list(self._dispatch(incoming, seen=self._receive(incoming)))
        if isinstance(incoming.message, CallStarted):
            self._gate.seen(incoming.message.call_id, self._lookup)  # an ended call stays so
            for waited in self._gate.open(incoming.message.call_id):
                outputs += self.handle(waited)
        return outputs

    def _admit(self, incoming: Incoming) -> list[Outgoing] | None:
        """None to go on; else what to do instead: hold it for its start, or refuse it."""
        message = incoming.message
        if not isinstance(message, Utterance | CallEnded):
            return None
        call_id = message.call_id
        seen = self._gate.seen(call_id, self._lookup)
        if seen is None:
            if self._gate.hold(incoming, self._monotonic()):
                self.stats.awaited_starts += 1
                return []
            return self._refuse(incoming, f"call {call_id} was never started and too many "
                                          "of its messages already wait for its start")
        if seen.ended_with is None:
            return None
        if isinstance(message, CallEnded):
            if message.utterances == seen.ended_with:
                return None  # a copy of the end: answered with the stored summary
            return self._refuse(incoming, f"call {call_id} already ended with "
                                          f"{seen.ended_with} utterances")
        if message.seq < seen.ended_with or message.seq in self._processed(call_id):
            return None  # late within the call, or a redelivery
        return self._refuse(incoming, f"call {call_id} already ended with {seen.ended_with} "
                                      f"utterances; seq {message.seq} came after its end")

    def _refuse(self, incoming: Incoming, reason: str) -> list[Outgoing]:
        self.stats.refused += 1
        _log.warning("agent: refused %s: %s", type(incoming.message).__name__, reason)
        return [refuse(incoming, Topic.TRANSCRIPTS, reason)]

    def _lookup(self, call_id: str) -> CallSeen | None:
        """The call as its checkpoint has it: None if it never started."""
        state = call_state(self._graph, call_id)
        if not state:
            return None
        summary = state.get("summary")
        return CallSeen(int(summary["utterances"]) if summary else None)

    def _processed(self, call_id: str) -> set[int]:
        return set(call_state(self._graph, call_id).get("processed_seqs", []))

    def handle_many(self, incomings: Sequence[Incoming]) -> Sequence[Outgoing]:
        """Handle a poll batch of one partition in order; a call's utterances run together.

        An error propagates (the runner then handles the same messages one by one); held
        ends are put back as they were, so one that this batch summarized is summarized
        again by the retry (with the same summary id) rather than lost.
        """
        held, waiting = dict(self._held), self._gate.snapshot()
        try:
            self._mark_batch(incomings)
            return self._handle_many(incomings)
        except BaseException:
            self._held = held
            self._gate.restore(waiting)
            raise
        finally:
            self._marked = {}

    def _mark_batch(self, incomings: Sequence[Incoming]) -> None:
        """Mark the batch in the inbox in one transaction, not one per message.

        The inbox only says "maybe seen" (the checkpoint decides; starts and ends never ask
        it), so marking an utterance that this batch then holds for its start or refuses is
        harmless: handled later, it counts as seen, finds no insight for its seq in the
        checkpoint, and runs as it would have.
        """
        if not isinstance(self._inbox, BatchInbox):
            return
        ids = [incoming.message.message_id for incoming in incomings]
        if len(ids) > 1:
            new = self._inbox.mark_processed_many(consumer=self.name, message_ids=ids)
            self._marked = {message_id: message_id in new for message_id in ids}

    def _handle_many(self, incomings: Sequence[Incoming]) -> list[Outgoing]:
        outputs: list[Outgoing] = []
        pending: dict[str, list[Utterance]] = {}
        for incoming in incomings:
            message = incoming.message
            call_id = message.call_id
            queued = pending.get(call_id, [])
            if (not isinstance(message, Utterance) or self.batch_turns < 2
                    or call_id in self._held
                    or any(u.seq == message.seq for u in queued)
                    or self._gate.seen(call_id, self._lookup) != CallSeen()):
                outputs += self._turns(pending.pop(call_id, []))
                outputs += self.handle(incoming)
                continue
            if self._receive(incoming):  # seen before: answered from the checkpoint
                outputs += self._turns(pending.pop(call_id, []))
                outputs += self._utterance(message, seen=True)
                continue
            pending.setdefault(call_id, []).append(message)
            if len(pending[call_id]) >= self.batch_turns:
                outputs += self._turns(pending.pop(call_id))
        for utterances in pending.values():
            outputs += self._turns(utterances)
        return outputs

    def _receive(self, incoming: Incoming) -> bool:
        """Note the message's state as unflushed and mark the inbox; True if seen before."""
        message = incoming.message
        self._note_unflushed(message.call_id, incoming.partition, incoming.offset)
        marked = self._marked.get(message.message_id)
        if marked is not None:  # marked with its batch; a second copy in it was seen before
            self._marked[message.message_id] = False
            return not marked
        return self._inbox is not None and not self._inbox.mark_processed(
            consumer=self.name, message_id=message.message_id)

    def _dispatch(self, incoming: Incoming, *, seen: bool) -> Sequence[Outgoing]:
        message = incoming.message
        if isinstance(message, Utterance):
            return self._utterance(message, seen=seen)
        if isinstance(message, CallStarted):
            start_call(self._graph, self._context, message)
            return []
        if isinstance(message, CallEnded):
            return self._ended(message, incoming)
        if isinstance(message, ApprovalDecided):
            return self._approval(message)
        raise PoisonMessage(f"agent stage cannot handle {type(message).__name__}")

    def _approval(self, decided: ApprovalDecided) -> list[Outgoing]:
        self.stats.approvals += 1
        wait = resume_approval(self._approval_graph, self._context, call_id=decided.call_id,
                               approval_id=decided.approval_id)
        if wait is None:
            _log.warning("approval %s of call %s is unknown; ignored",
                         decided.approval_id, decided.call_id)
            return []
        views = settle_call(self._graph, self._context, call_id=decided.call_id, wait=wait)
        if views is None:
            return []
        outputs: list[Outgoing] = []
        if views.insight is not None:
            outputs.append(Outgoing(Topic.INSIGHTS, views.insight))
        if views.summary is not None:
            outputs += [Outgoing(Topic.SUMMARIES, views.summary),
                        *self._summary_request(views.summary)]
        return outputs

    def tick(self, now: float) -> Sequence[Outgoing]:
        """Summarize held calls whose missing utterances never came; flush the state.

        A failed flush raises (the runner retries on its next cycle) and keeps this tick's
        output for the next tick, so nothing it decided is lost.
        """
        late = [held for held in self._held.values() if held.deadline <= now]
        outputs, self._carry = self._carry, []
        for waited in self._gate.expire(now):
            outputs += self._refuse(waited, f"call {waited.message.call_id} was never started "
                                            f"(no call_started within {self._gate.window_s:g} s)")
        for held in late:
            self.stats.forced_ends += 1
            self._note_unflushed(held.ended.call_id, held.partition, held.offset)
            missing = self._missing(held.ended)
            self._context.audit.record(call_id=held.ended.call_id, actor="stage:agent",
                                       action="summary_with_missing_utterances",
                                       detail={"missing": sorted(missing)[:50]})
            outputs += self._summarize(held.ended, missing=missing)
        try:
            self._flush()
        except BaseException:
            self._carry = outputs
            raise
        return outputs

    def safe_offset(self, partition: int) -> int | None:
        """Never commit past a held CallEnded or past state not flushed yet.

        The runner asks this right before it commits, so state still in memory (a tick
        that did not run or whose flush failed) is flushed here first; if that fails too,
        the commit stops at the first message whose state is not durable.
        """
        offsets = [h.offset for h in self._held.values() if h.partition == partition]
        waiting = self._gate.safe_offset(partition)
        if waiting is not None:
            offsets.append(waiting)
        if partition in self._unflushed:
            try:
                self._flush()
            except Exception as error:
                _log.warning("agent state not flushed, commit held back: %r", error)
                offsets.append(self._unflushed[partition])
        return min(offsets) if offsets else None

    def revoke(self, partitions: Collection[int]) -> None:
        """Forget held ends and unflushed state of lost partitions; the new owner re-reads them."""
        for call_id in [c for c, h in self._held.items() if h.partition in partitions]:
            del self._held[call_id]
        self._gate.revoke(partitions)
        if self._checkpoints is not None:
            lost = {c for c, p in self._touched.items() if p in partitions}
            self._checkpoints.discard(lambda thread_id: thread_id.split("/", 1)[0] in lost)
            self._touched = {c: p for c, p in self._touched.items() if p not in partitions}
            self._unflushed = {p: o for p, o in self._unflushed.items() if p not in partitions}

    def _note_unflushed(self, call_id: str, partition: int, offset: int) -> None:
        """The call's state changes in memory: never commit `partition` past `offset` unflushed."""
        if self._checkpoints is None:
            return
        self._unflushed[partition] = min(offset, self._unflushed.get(partition, offset))
        self._touched[call_id] = partition

    def _flush(self) -> None:
        if self._checkpoints is None or not (self._unflushed or self._touched):
            return
        self._checkpoints.flush()
        self.stats.flushes += 1
        self._unflushed.clear()
        self._touched.clear()

    def _turns(self, utterances: list[Utterance]) -> list[Outgoing]:
        """Run a call's not-yet-seen utterances, several per graph invocation."""
        outputs: list[Outgoing] = []
        while utterances:
            if len(utterances) == 1:
                outputs += self._utterance(utterances[0], seen=False)
                break
            turns = handle_turns(self._graph, self._context, utterances)
            for utterance, turn in zip(utterances, turns, strict=False):
                self.stats.utterances += 1
                outputs += self._after_turn(utterance, turn)
            utterances = utterances[len(turns):]
        return outputs

    def _utterance(self, utterance: Utterance, *, seen: bool) -> list[Outgoing]:
        self.stats.utterances += 1
        replay = self._replay(utterance) if seen else None
        if replay is not None:
            self.stats.replayed += 1
            outputs = [Outgoing(Topic.INSIGHTS, replay), *self._insight_requests(replay)]
            state = call_state(self._graph, utterance.call_id)
            outputs += self._alerts(phishing_alerts_of(state, utterance.seq))
            outputs += self._handoff(handoff_of(state, utterance.seq))
            return outputs + self._after_turn(utterance, None)
        return self._after_turn(utterance, handle_utterance(self._graph, self._context, utterance))

    def _after_turn(self, utterance: Utterance, turn: TurnResult | None) -> list[Outgoing]:
        """A turn's insight and model requests, then the call's held end if now complete."""
        outputs: list[Outgoing] = []
        if turn is not None:
            if turn.approval is not None:
                open_approval(self._approval_graph, self._context, turn.approval)
            self.stats.replayed += int(turn.duplicate)
            outputs += self._alerts(turn.alerts)
            outputs += self._handoff(turn.handoff)
            if turn.insight is not None:
                self.stats.insights += 1
                outputs += [Outgoing(Topic.INSIGHTS, turn.insight),
                            *self._insight_requests(turn.insight)]
        held = self._held.get(utterance.call_id)
        if held is not None and not self._missing(held.ended):
            outputs += self._summarize(held.ended)
        return outputs

    def _alerts(self, alerts: Sequence[PhishingAlert | GuardianAlert]) -> list[Outgoing]:
        """A turn's phishing alert and guardian notice, each on its own topic (ids are stable)."""
        self.stats.phishing_alerts += sum(isinstance(a, PhishingAlert) for a in alerts)
        return [Outgoing(Topic.PHISHING_ALERTS if isinstance(a, PhishingAlert)
                         else Topic.GUARDIAN_ALERTS, a) for a in alerts]

    def _handoff(self, handoff: HandoffRequested | None) -> list[Outgoing]:
        """The call's handoff to a human agent (its id derives from the call: resends are one)."""
        if handoff is None:
            return []
        self.stats.handoffs += 1
        return [Outgoing(Topic.HANDOFFS, handoff)]

    def _replay(self, utterance: Utterance) -> CallInsight | None:
        state = call_state(self._graph, utterance.call_id)
        stored = state.get("insights", {}).get(str(utterance.seq))
        if stored is not None and utterance.speaker is Speaker.CUSTOMER:
            return CallInsight.model_validate(stored)
        return None

    def _ended(self, ended: CallEnded, incoming: Incoming) -> list[Outgoing]:
        stored = call_state(self._graph, ended.call_id).get("summary")
        if stored is not None:  # a copy after the summary was made: no second summary
            self.stats.replayed += 1
            summary = CallSummary.model_validate(stored)
            return [Outgoing(Topic.SUMMARIES, summary), *self._summary_request(summary)]
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

    def _summarize(self, ended: CallEnded, *, missing: Collection[int] = ()) -> list[Outgoing]:
        self._held.pop(ended.call_id, None)
        self._gate.close(ended.call_id, ended.utterances)
        summary: CallSummary = end_call(self._graph, self._context, ended)
        if missing:
            summary = summary.model_copy(update={"missing_utterances": sorted(missing)[:1000]})
        self.stats.summaries += 1
        return [Outgoing(Topic.SUMMARIES, summary), *self._summary_request(summary)]

    def _summary_request(self, summary: CallSummary) -> list[Outgoing]:
        if self._model_work is None:
            return []
        state = call_state(self._graph, summary.call_id)
        request = summary_request(state, summary, now=self._context.clock.now(),
                                  deadline_s=self._model_work.deadline_s)
        self.stats.model_requests += 1
        return [Outgoing(Topic.MODEL_REQUESTS, request)]

    def _insight_requests(self, insight: CallInsight) -> list[Outgoing]:
        work = self._model_work
        if work is None or (insight.dispute is None
                            and insight.intent_confidence >= work.intent_threshold):
            return []  # the common case decides without reading the call's state again
        requests = insight_requests(
            call_state(self._graph, insight.call_id), insight, intents=work.intents,
            threshold=work.intent_threshold, now=self._context.clock.now(),
            deadline_s=work.deadline_s)
        self.stats.model_requests += len(requests)
        return [Outgoing(Topic.MODEL_REQUESTS, r) for r in requests]
