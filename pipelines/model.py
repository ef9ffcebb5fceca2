"""The model stage: answers calls.model-requests.v1 off the live path, each by its deadline.

Decisions:
- handle() only queues a request, so the poll loop keeps polling (heartbeats, rebalances
  and SIGTERM stay prompt) however slow the model is. `concurrency` threads take requests
  from the queue: summaries first (every call needs one), then explanations, then intents,
  earliest deadline first within a task. A request whose deadline has passed is dropped
  unasked; an answer that comes back after it is dropped too ("late").
- The queue is bounded: when full, the least urgent request is shed and counted.
- Offsets: a request is "pending" from handle() until its answer (or its drop) has gone
  through tick(); safe_offset() keeps the runner from committing past the oldest pending
  one, so a crash re-reads unanswered requests. Answers carry an id derived from the
  request's, so a re-read request answered twice changes nothing downstream.
- revoke() forgets queued requests of lost partitions; their new owner re-reads them.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from agents.ports import AuditLog, ChatModel
from agents.revisions import Rejected, Revised, revise
from pipelines.stage import Incoming, Outgoing, PoisonMessage
from services.schemas import CallInsight, ModelRequest, ModelTask, Topic

__all__ = ["ModelStageHandler", "ModelStageStats"]

_log = logging.getLogger(__name__)
_PRIORITY = {ModelTask.SUMMARY: 0, ModelTask.EXPLANATION: 1, ModelTask.INTENT: 2}
_REMEMBERED = 10_000


@dataclass(slots=True)
class ModelStageStats:
    """Counters for metrics, the demo and tests."""

    queued: int = 0
    answered: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    expired: Counter[str] = field(default_factory=Counter)
    late: Counter[str] = field(default_factory=Counter)
    shed: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    tokens: int = 0


@dataclass(order=True, slots=True)
class _Queued:
    priority: int
    deadline: datetime
    order: int
    request: ModelRequest = field(compare=False)
    partition: int = field(compare=False)
    offset: int = field(compare=False)


class ModelStageHandler:
    """Stage handler of the model stage (consumer group `<prefix>.model`)."""

    name = "model"
    sources: tuple[Topic, ...] = (Topic.MODEL_REQUESTS,)

    def __init__(
        self,
        chat: ChatModel,
        *,
        now: Callable[[], datetime],
        concurrency: int = 1,
        max_queued: int = 256,
        audit: AuditLog | None = None,
    ) -> None:
        self._chat, self._now, self._max_queued = chat, now, max_queued
        self._audit = audit
        self._lock = threading.Condition()
        self._queue: list[_Queued] = []
        self._pending: dict[int, list[int]] = {}  # partition -> offsets not yet done
        self._answers: list[tuple[_Queued, Outgoing | None]] = []
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._order = itertools.count()
        self._closed = False
        self.stats = ModelStageStats()
        self._threads = [threading.Thread(target=self._work, name=f"model-{i}", daemon=True)
                         for i in range(concurrency)]
        for thread in self._threads:
            thread.start()

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        """Queue one request; answers come out of tick()."""
        request = incoming.message
        if not isinstance(request, ModelRequest):
            raise PoisonMessage(f"model stage cannot handle {type(request).__name__}")
        with self._lock:
            if request.message_id in self._seen:
                self.stats.duplicates += 1
                return []
            item = _Queued(_PRIORITY[request.task], request.deadline_at, next(self._order),
                           request, incoming.partition, incoming.offset)
            self._pending.setdefault(incoming.partition, []).append(incoming.offset)
            heapq.heappush(self._queue, item)
            self.stats.queued += 1
            if len(self._queue) > self._max_queued:
                worst = max(self._queue)
                self._queue.remove(worst)
                heapq.heapify(self._queue)
                self.stats.shed[worst.request.task.value] += 1
                self._answers.append((worst, None))
            self._lock.notify()
        return []

    def tick(self, now: float) -> Sequence[Outgoing]:
        """Hand the finished answers to the runner and release their offsets."""
        with self._lock:
            finished, self._answers = self._answers, []
            for item, _ in finished:
                pending = self._pending.get(item.partition, [])
                if item.offset in pending:
                    pending.remove(item.offset)
                self._remember(item.request.message_id)
        return [answer for _, answer in finished if answer is not None]

    def safe_offset(self, partition: int) -> int | None:
        """Never commit past a request still queued, asked or unpublished."""
        with self._lock:
            pending = self._pending.get(partition)
            return min(pending) if pending else None

    def revoke(self, partitions: Collection[int]) -> None:
        """Forget queued requests of lost partitions; their new owner re-reads them."""
        with self._lock:
            self._queue = [q for q in self._queue if q.partition not in partitions]
            heapq.heapify(self._queue)
            for partition in partitions:
                self._pending.pop(partition, None)
            self._answers = [(q, a) for q, a in self._answers if q.partition not in partitions]

    def close(self) -> None:
        """Stop the workers after their current request."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        for thread in self._threads:
            thread.join(timeout=1.0)

    def backlog(self) -> int:
        """Requests queued and not yet asked."""
        with self._lock:
            return len(self._queue)

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                item = heapq.heappop(self._queue)
            try:
                answer = self._answer(item)
            except Exception:  # a worker thread must outlive any one request
                _log.exception("model stage: request %s failed", item.request.message_id)
                self.stats.rejected["error"] += 1
                answer = None
            with self._lock:
                if item.offset in self._pending.get(item.partition, ()):
                    self._answers.append((item, answer))

    def _answer(self, item: _Queued) -> Outgoing | None:
        request, task = item.request, item.request.task.value
        if self._now() >= request.deadline_at:
            self.stats.expired[task] += 1
            return None
        started = time.perf_counter()
        result = revise(request, self._chat, now=self._now())
        self._record(request, result, (time.perf_counter() - started) * 1000)
        self.stats.tokens += result.tokens
        if isinstance(result, Rejected):
            self.stats.rejected[result.reason.split(":")[0]] += 1
            _log.info("model stage: %s of call %s rejected: %s", task, request.call_id,
                      result.reason)
            return None
        if self._now() > request.deadline_at:
            self.stats.late[task] += 1
            return None
        self.stats.answered[task] += 1
        topic = Topic.INSIGHTS if isinstance(result.message, CallInsight) else Topic.SUMMARIES
        return Outgoing(topic, result.message)

    def _record(self, request: ModelRequest, result: Revised | Rejected, latency_ms: float) -> None:
        # Every model call is audited with its tokens, answered or not: what the model
        # cost is known per call even when none of its words were used.
        if self._audit is None:
            return
        action = "revised" if isinstance(result, Revised) else f"rejected:{result.reason}"[:120]
        self._audit.record(call_id=request.call_id, actor=f"model:{request.task.value}",
                           action=action, detail={"request": request.message_id,
                                                  "revision": request.revision},
                           latency_ms=latency_ms, prompt_tokens=result.prompt_tokens,
                           completion_tokens=result.completion_tokens)

    def _remember(self, message_id: str) -> None:
        self._seen[message_id] = None
        if len(self._seen) > _REMEMBERED:
            self._seen.popitem(last=False)
