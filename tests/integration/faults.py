"""Helpers of the fault tests: a billing world, scripted calls, the pipeline, exact counts.

Every call is one customer's: a roaming charge they never used (an automatic credit of
11,000 KRW), then a threat to leave. With the LLM off every node is deterministic, so the
expected database after any fault is known exactly: one insight per customer utterance,
one summary per call, one credit per call.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from agents.intents import IntentClassifier
from pipelines.bootstrap import build_agent_runtime
from pipelines.sink import SinkHandler
from pipelines.workers import reordering_agent_handler
from services.broker import Publisher
from services.config import Settings
from services.config.settings import DatabaseSettings, LlmSettings, PathSettings
from services.db import make_engine, session_factory
from services.db.models import InsightRow, SummaryRow
from services.db.models.money import Credit
from services.schemas import (
    BillingWorld,
    CallEnded,
    CallStarted,
    ChargeKind,
    ConsentRecord,
    CustomerRecord,
    InvoiceLineRecord,
    InvoiceRecord,
    Message,
    PlanRecord,
    Speaker,
    Topic,
    UsageKind,
    UsageRecord,
    Utterance,
)
from tests.fixtures.broker import StageThread

CREDIT_KRW = 11_000
LINES = [
    (Speaker.CUSTOMER, "안녕하세요 요금 때문에 전화드렸어요"),
    (Speaker.AGENT, "네 고객님 무엇을 도와드릴까요"),
    (Speaker.CUSTOMER, "지난달 해외에 간 적이 없는데 로밍 요금이 나왔어요"),
    (Speaker.AGENT, "확인해 보겠습니다 잠시만 기다려 주세요"),
    (Speaker.CUSTOMER, "이런 일이 또 생기면 KT로 번호이동할 거예요"),
    (Speaker.AGENT, "불편을 드려 죄송합니다"),
]
CUSTOMER_UTTERANCES = sum(1 for speaker, _ in LINES if speaker is Speaker.CUSTOMER)
PLAN = PlanRecord(plan_id="5G-UNL", name="5G 프리미어 무제한", monthly_fee_krw=89_000,
                  data_mb=None, voice_min=None, overage_krw_per_mb=0)  # fmt: skip


def _last_month(today: date) -> tuple[str, date]:
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}", date(today.year, today.month, 1)


def fault_world(customers: int) -> BillingWorld:
    """Customers F0001...: each billed last month for roaming they never used."""
    period, issued = _last_month(datetime.now(UTC).date())
    records, invoices, usage, consents = [], [], [], []
    for n in range(1, customers + 1):
        cid, inv = f"F{n:04d}", f"INV-F{n:04d}"
        lines = [
            InvoiceLineRecord(line_id=f"{inv}-1", invoice_id=inv, kind=ChargeKind.PLAN,
                              description=PLAN.name, amount_krw=PLAN.monthly_fee_krw),
            InvoiceLineRecord(line_id=f"{inv}-2", invoice_id=inv, kind=ChargeKind.ROAMING,
                              description="일본 데이터 로밍", amount_krw=CREDIT_KRW),
        ]  # fmt: skip
        invoices.append(InvoiceRecord(invoice_id=inv, customer_id=cid, period=period,
                                      issued_on=issued, lines=lines,
                                      total_krw=sum(x.amount_krw for x in lines)))  # fmt: skip
        records.append(CustomerRecord(customer_id=cid, name="김민준", phone="010-1234-5678",
                                      plan_id=PLAN.plan_id, joined_on=date(2022, 5, 1),
                                      contract_end=date(2030, 6, 30)))  # fmt: skip
        usage.append(UsageRecord(usage_id=f"U-{cid}", customer_id=cid, period=period,
                                 kind=UsageKind.DATA_MB, quantity=20_480))  # fmt: skip
        consents.append(ConsentRecord(consent_id=f"K-{cid}", customer_id=cid,
                                      service_code="VAS-COLORING", granted=True,
                                      recorded_at=datetime(2022, 5, 1, tzinfo=UTC)))  # fmt: skip
    return BillingWorld(plans=[PLAN], customers=records, invoices=invoices, usage=usage,
                        consents=consents)  # fmt: skip


def customer_id(n: int) -> str:
    """The customer of call number n (1-based)."""
    return f"F{n:04d}"


def call_messages(call_id: str, customer: str) -> list[Message]:
    """One whole call on calls.transcripts.v1: start, utterances, end."""
    utterances: list[Message] = [
        Utterance(call_id=call_id, seq=seq, speaker=speaker, text=text, start_ms=seq * 3000,
                  end_ms=seq * 3000 + 2500, confidence=0.9, source="asr")
        for seq, (speaker, text) in enumerate(LINES)
    ]  # fmt: skip
    return [
        CallStarted(call_id=call_id, customer_id=customer),
        *utterances,
        CallEnded(call_id=call_id, utterances=len(LINES)),
    ]


def traffic(prefix: str, calls: int) -> list[list[Message]]:
    """`calls` calls, call i for customer F000i."""
    return [call_messages(f"{prefix}-{n}", customer_id(n)) for n in range(1, calls + 1)]


def interleave(calls: Sequence[Sequence[Message]]) -> list[Message]:
    """Round-robin over calls, as concurrent calls arrive (each call stays in order)."""
    out: list[Message] = []
    for step in range(max(len(call) for call in calls)):
        out += [call[step] for call in calls if step < len(call)]
    return out


def publish(bootstrap: str, settings: Settings, messages: Sequence[Message]) -> None:
    """Produce to calls.transcripts.v1 and wait for the acks."""
    with Publisher(bootstrap, settings.kafka) as publisher:
        for message in messages:
            publisher.send(Topic.TRANSCRIPTS, message)
        publisher.flush()


def publish_raw(bootstrap: str, settings: Settings, records: Sequence[tuple[bytes, bytes]]) -> None:
    """Produce raw (key, value) records to calls.transcripts.v1."""
    with Publisher(bootstrap, settings.kafka) as publisher:
        for key, value in records:
            publisher.send_raw(Topic.TRANSCRIPTS.value, key=key, value=value)
        publisher.flush()


@dataclass(frozen=True)
class Counts:
    """What the database holds for a set of calls."""

    insights: int
    summaries: int
    credits: int
    credit_krw: int
    duplicated_credits: int


def counts(engine: Engine, call_prefix: str) -> Counts:
    """Insights and summaries the sink stored, credits the ledger holds, for these calls."""
    like = f"{call_prefix}-%"
    with Session(engine) as session:
        insights = session.scalar(
            select(func.count()).select_from(InsightRow).where(InsightRow.call_id.like(like))
        )
        summaries = session.scalar(
            select(func.count()).select_from(SummaryRow).where(SummaryRow.call_id.like(like))
        )
        rows = session.execute(
            select(Credit.customer_id, Credit.invoice_id, Credit.amount_krw).where(
                Credit.call_id.like(like)
            )
        ).all()
    per_line = len({(row.customer_id, row.invoice_id) for row in rows})
    return Counts(insights=insights or 0, summaries=summaries or 0, credits=len(rows),
                  credit_krw=sum(row.amount_krw for row in rows),
                  duplicated_credits=len(rows) - per_line)  # fmt: skip


def expected(calls: int) -> Counts:
    """The exact counts of `calls` whole calls."""
    return Counts(insights=calls * CUSTOMER_UTTERANCES, summaries=calls, credits=calls,
                  credit_krw=calls * CREDIT_KRW, duplicated_credits=0)  # fmt: skip


def report(name: str, got: Counts, want: Counts) -> None:
    """Print the line every fault test ends with."""
    lost = (want.insights - got.insights) + (want.summaries - got.summaries)
    lost += want.credits - got.credits
    print(
        f"[{name}] insights {got.insights}/{want.insights}, summaries "
        f"{got.summaries}/{want.summaries}, credits {got.credits}/{want.credits} "
        f"({got.credit_krw} KRW): lost = {max(0, lost)}, "
        f"duplicated credits = {got.duplicated_credits + max(0, got.credits - want.credits)}"
    )


def wait_until(
    predicate: Callable[[], bool], *, timeout_s: float = 120.0, what: str = "condition"
) -> None:
    """Poll `predicate` until true; fail after `timeout_s` (generous: loaded CI machines)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout_s:.0f} s")
        time.sleep(0.2)


def stage_settings(db_url: str, data_dir: Path, kafka: object) -> Settings:
    """Settings of the stages under test: this database, LLM off, fast Kafka timings."""
    return Settings(
        database=DatabaseSettings(url=db_url),
        llm=LlmSettings(enabled=False),
        paths=PathSettings(data=data_dir),
        kafka=kafka,
    )  # type: ignore[arg-type]


@contextmanager
def pipeline(
    bootstrap: str, settings: Settings, intents: IntentClassifier
) -> Iterator[tuple[StageThread, StageThread]]:
    """The agent stage (with reordering) and the sink stage, each on a thread, joined.

    Both reach the database at `settings.database_url()` with engines of their own.
    """
    with ExitStack() as stack:
        runtime = stack.enter_context(
            build_agent_runtime(settings, llm_base_url=None, intents=intents)
        )
        sink_engine = make_engine(settings.database_url())
        stack.callback(sink_engine.dispose)
        agent = StageThread(
            reordering_agent_handler(runtime), bootstrap=bootstrap, settings=settings
        )
        sink = StageThread(
            SinkHandler(session_factory(sink_engine)), bootstrap=bootstrap, settings=settings
        )
        stack.enter_context(agent)
        stack.enter_context(sink)
        yield agent, sink


def worker_process(
    stage: str, *, env: dict[str, str], ready_file: Path, log_file: Path, args: Sequence[str] = ()
) -> subprocess.Popen[bytes]:
    """`kcall worker STAGE` as a real child process (its own session, so signals are ours)."""
    kcall = Path(sys.executable).with_name("kcall")
    command = [str(kcall), "worker", stage, "--ready-file", str(ready_file), *args]
    with log_file.open("ab") as log:
        return subprocess.Popen(command, env={**os.environ, **env}, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)  # fmt: skip


def drained(bootstrap: str, group: str, topics: Sequence[str]) -> bool:
    """True when `group` committed every record of `topics` (nothing left to redo)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                             enable_auto_commit=False)  # fmt: skip
    try:
        for topic in topics:
            tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
            ends = consumer.end_offsets(tps)
            for tp in tps:
                if ends[tp] > (consumer.committed(tp) or 0):
                    return False
        return True
    finally:
        consumer.close(autocommit=False)


class TcpProxy:
    """A TCP forwarder we can cut: the database is "down" while it is stopped.

    stop() closes the listener and every open connection (clients see resets and refused
    connections, as when a database server goes away); start() listens on the same port.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        import socket
        import threading

        self._target = (target_host, target_port)
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port: int = probe.getsockname()[1]
        probe.close()

    def start(self) -> TcpProxy:
        import socket
        import threading

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        import socket

        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked on it
            except OSError:
                pass
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listener: object) -> None:
        import socket
        import threading

        assert isinstance(listener, socket.socket)
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: object, target: object) -> None:
        import socket

        assert isinstance(source, socket.socket) and isinstance(target, socket.socket)
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
