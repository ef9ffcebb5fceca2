"""Fault tests: real broker (embedded tansu), real SQLite and PostgreSQL, real processes.

Each test runs whole calls through the agent stage (reordering, real graph, LLM off) and
the sink stage, injects one fault, waits until both consumer groups committed everything,
and then asserts the exact database: one insight per customer utterance, one summary per
call, one credit per call, and prints `lost = 0, duplicated credits = 0`. Every wait
polls a condition with a generous limit; nothing depends on how fast the machine is.
"""

from __future__ import annotations

import gc
import json
import logging
import signal
import sqlite3
import subprocess
import time
import urllib.request
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from agents.intents import IntentClassifier
from pipelines.bootstrap import load_intent_model
from pipelines.dlq import DLQ_HEADER_PREFIX
from pipelines.metrics import TRANSIENT_WAITS
from pipelines.reorder import ReorderingHandler
from services.broker import EmbeddedBroker, ensure_topics
from services.broker.probe import free_port
from services.config import KafkaSettings, Settings
from services.config.settings import PathSettings
from services.db import make_engine, open_checkpointer, seed_world, upgrade
from services.schemas import Speaker, Topic, Utterance, encode
from tests.fixtures.broker import committed_offsets, fast_kafka_settings, read_topic, unique_name
from tests.integration.faults import (
    LINES,
    TcpProxy,
    call_messages,
    counts,
    customer_id,
    drained,
    expected,
    fault_world,
    interleave,
    pipeline,
    publish,
    publish_raw,
    report,
    stage_settings,
    traffic,
    wait_until,
    worker_process,
)

# kafka-python (3.0.12) leaves the socket of each refused reconnect to the garbage
# collector while the broker is down; collected later, each would warn (an error here).
pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

CALLS = 6
WAIT_S = 180.0  # a limit, not an expectation: loaded 2-core CI machines are slow
AGENT_TOPICS = [Topic.TRANSCRIPTS.value]
SINK_TOPICS = [Topic.TRANSCRIPTS.value, Topic.INSIGHTS.value, Topic.SUMMARIES.value]


@pytest.fixture(autouse=True)
def _collect_leaked_sockets() -> Iterator[None]:
    # Captured log records of kafka-python's connection errors would keep those sockets
    # reachable past this fixture (pytest holds a test's records until its report), so
    # its records are not made here; our stages' own log lines still are.
    kafka_log = logging.getLogger("kafka")
    level = kafka_log.level
    kafka_log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        kafka_log.setLevel(level)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


@pytest.fixture(scope="session")
def worker_data(pytestconfig: pytest.Config) -> Path:
    """A data dir whose models/ holds the worker's trained intent model (trained once)."""
    assert pytestconfig.cache is not None
    data = Path(pytestconfig.cache.mkdir("kcall-fault-worker-data"))
    load_intent_model(Settings(paths=PathSettings(data=data)))
    return data


@pytest.fixture(scope="session")
def intents(worker_data: Path) -> IntentClassifier:
    return load_intent_model(Settings(paths=PathSettings(data=worker_data)))


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A migrated SQLite file (for the tests that need no second backend)."""
    url = f"sqlite:///{tmp_path / 'faults.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        yield url, engine
    finally:
        engine.dispose()


def _kafka(**overrides: object) -> KafkaSettings:
    values: dict[str, object] = {"max_poll_records": 20, "reorder_window_s": 2.0}
    return fast_kafka_settings(**(values | overrides))


def _dlq_by_stage(bootstrap: str, minimum: int = 0) -> Counter[str]:
    """Dead-lettered source records per stage (a record dead-lettered again after a
    rebalance re-read counts once: delivery to the DLQ is at least once too)."""
    letters = read_topic(bootstrap, Topic.TRANSCRIPTS.dlq, min_records=minimum, timeout_s=30)
    sources = set()
    for record in letters:
        headers = {name: value.decode() for name, value in record.headers}
        sources.add((headers[DLQ_HEADER_PREFIX + "stage"],
                     headers[DLQ_HEADER_PREFIX + "source.partition"],
                     headers[DLQ_HEADER_PREFIX + "source.offset"]))  # fmt: skip
    return Counter(stage for stage, _, _ in sources)


def _wait_drained(bootstrap: str, settings: Settings, prefix: str, calls: int, engine: Engine,
                  *, timeout_s: float = WAIT_S) -> None:  # fmt: skip
    kafka = settings.kafka
    agent_group, sink_group = f"{kafka.group_prefix}.agent", f"{kafka.group_prefix}.sink"
    want = expected(calls)
    wait_until(lambda: counts(engine, prefix) == want, timeout_s=timeout_s,
               what=f"{calls} calls' insights, summaries and credits")  # fmt: skip
    wait_until(lambda: drained(bootstrap, agent_group, AGENT_TOPICS)
               and drained(bootstrap, sink_group, SINK_TOPICS),
               timeout_s=timeout_s, what="every offset committed")  # fmt: skip


def _transient_waits(stage: str) -> float:
    return TRANSIENT_WAITS.labels(stage)._value.get()  # type: ignore[no-any-return]


# --- the same messages twice -----------------------------------------------------------


def test_the_same_messages_twice_change_nothing(
    private_kafka_bootstrap: str, sqlite_engine: tuple[str, Engine], intents: IntentClassifier,
    tmp_path: Path,
) -> None:  # fmt: skip
    url, engine = sqlite_engine
    seed_world(engine, fault_world(CALLS))
    settings = stage_settings(url, tmp_path, _kafka())
    prefix = unique_name("twice")
    calls = traffic(prefix, CALLS)
    once = interleave(calls)
    # The same records again (redelivery), and one call re-sent under new message ids
    # (a producer that retried above the broker).
    again = once + [m.model_copy(update={"message_id": unique_name("m")}) for m in calls[0]]
    bootstrap = private_kafka_bootstrap
    with pipeline(bootstrap, settings, intents) as (agent, sink):
        publish(bootstrap, settings, once)
        _wait_drained(bootstrap, settings, prefix, CALLS, engine)
        publish(bootstrap, settings, again)
        _wait_drained(bootstrap, settings, prefix, CALLS, engine)
        agent_stats, sink_stats = agent.stop(), sink.stop()
    got = counts(engine, prefix)
    report("same messages twice", got, expected(CALLS))
    assert got == expected(CALLS)
    # At least: a rebalance on a starved machine would re-read (and change nothing).
    assert agent_stats.consumed >= len(once) * 2 + len(calls[0]) and agent_stats.dlq == 0
    assert sink_stats.dlq == 0
    assert _dlq_by_stage(bootstrap) == Counter()


# --- 100 poison messages among good traffic --------------------------------------------


def _poison(call_id: str, n: int) -> bytes:
    good = json.loads(encode(call_messages(call_id, "F0001")[1]))  # an utterance
    kind = n % 5
    if kind == 0:
        return b"\xff\xfe not JSON " + str(n).encode()
    if kind == 1:
        return json.dumps({**good, "seq": "three"}).encode()  # wrong type
    if kind == 2:
        return json.dumps({k: v for k, v in good.items() if k != "text"}).encode()  # missing
    if kind == 3:
        return json.dumps({**good, "speaker": "robot"}).encode()  # not an enum value
    return b"{" * 40  # truncated


def test_a_hundred_poison_messages_go_to_the_dlq_and_the_rest_is_exact(
    private_kafka_bootstrap: str, sqlite_engine: tuple[str, Engine], intents: IntentClassifier,
    tmp_path: Path,
) -> None:  # fmt: skip
    url, engine = sqlite_engine
    seed_world(engine, fault_world(CALLS))
    settings = stage_settings(url, tmp_path, _kafka())
    prefix = unique_name("poison")
    good = interleave(traffic(prefix, CALLS))
    bootstrap = private_kafka_bootstrap
    # Poison spread evenly among the good records, keyed like the calls it sits among.
    records = [(m.call_id.encode(), encode(m)) for m in good]
    for n in range(100):
        call_id = f"{prefix}-{n % CALLS + 1}"
        records.insert(n * len(records) // 100 + 1, (call_id.encode(), _poison(call_id, n)))
    with pipeline(bootstrap, settings, intents) as (agent, sink):
        publish_raw(bootstrap, settings, records)
        _wait_drained(bootstrap, settings, prefix, CALLS, engine)
        agent_stats, sink_stats = agent.stop(), sink.stop()
    got = counts(engine, prefix)
    report("100 poison messages", got, expected(CALLS))
    assert got == expected(CALLS)
    assert agent_stats.dlq >= 100 and sink_stats.dlq >= 100  # exactly 100 unless re-read
    assert _dlq_by_stage(bootstrap, minimum=200) == Counter({"agent": 100, "sink": 100})


# --- the broker stopped and started ----------------------------------------------------


def test_broker_stopped_and_started_workers_reconnect_and_go_on(
    sqlite_engine: tuple[str, Engine], intents: IntentClassifier, tmp_path: Path
) -> None:
    # tansu keeps everything in memory: after the restart topics, records and committed
    # offsets are gone (an operator recreates the topics), so this proves reconnection;
    # durability across broker restarts is Kafka's job in production.
    url, engine = sqlite_engine
    seed_world(engine, fault_world(2 * CALLS))
    settings = stage_settings(url, tmp_path, _kafka(delivery_timeout_ms=5000))
    before, after = unique_name("before"), unique_name("after")
    port = free_port()
    broker = EmbeddedBroker(port=port).start()
    try:
        ensure_topics(KafkaSettings(), broker.bootstrap)
        bootstrap = broker.bootstrap
        with pipeline(bootstrap, settings, intents) as (agent, sink):
            publish(bootstrap, settings, interleave(traffic(before, CALLS)))
            _wait_drained(bootstrap, settings, before, CALLS, engine)
            broker.stop()
            time.sleep(3.0)  # the outage (no assertion depends on its length)
            broker = EmbeddedBroker(port=port).start()
            ensure_topics(KafkaSettings(), broker.bootstrap)
            second = [call_messages(f"{after}-{n}", customer_id(CALLS + n))
                      for n in range(1, CALLS + 1)]  # fmt: skip
            publish(bootstrap, settings, interleave(second))
            _wait_drained(bootstrap, settings, after, CALLS, engine)
            assert agent.error is None and sink.error is None
            agent_stats, sink_stats = agent.stop(), sink.stop()
    finally:
        broker.stop()
    for prefix in (before, after):
        got = counts(engine, prefix)
        report(f"broker restart, {prefix.split('-')[0]}", got, expected(CALLS))
        assert got == expected(CALLS)
    assert agent_stats.dlq == 0 and sink_stats.dlq == 0
    print(f"broker recoveries: agent {agent_stats.broker_recoveries}, "
          f"sink {sink_stats.broker_recoveries}")  # fmt: skip


# --- the database unavailable for a while ----------------------------------------------


def test_database_unavailable_for_a_while_is_waited_out(
    private_kafka_bootstrap: str, db_url: str, migrated_engine: Engine,
    intents: IntentClassifier, tmp_path: Path,
) -> None:  # fmt: skip
    engine = migrated_engine
    seed_world(engine, fault_world(CALLS))
    backend = make_url(db_url).get_backend_name()
    proxy: TcpProxy | None = None
    stage_url = db_url
    if backend == "postgresql":
        # The stages reach PostgreSQL through a TCP proxy the test cuts, the graph's
        # checkpointer included (its pool replaces the connections the outage broke).
        parsed = make_url(db_url)
        proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432).start()
        stage_url = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False
        )
    # One attempt before the DLQ would apply: any dead letter here would be the outage's.
    settings = stage_settings(stage_url, tmp_path, _kafka(max_attempts=1))
    prefix = unique_name("dbdown")
    bootstrap = private_kafka_bootstrap
    waits_before = _transient_waits("sink") + _transient_waits("agent")
    lock: sqlite3.Connection | None = None
    with pipeline(bootstrap, settings, intents) as (agent_stage, sink_stage):
        if proxy is not None:
            proxy.stop()
        else:  # SQLite: another process's write transaction holds the file's write lock
            lock = sqlite3.connect(make_url(db_url).database or "", isolation_level=None)
            lock.execute("BEGIN IMMEDIATE")
        publish(bootstrap, settings, interleave(traffic(prefix, CALLS)))
        wait_until(
            lambda: _transient_waits("sink") + _transient_waits("agent") >= waits_before + 2,
            timeout_s=WAIT_S,
            what="stages waiting on the database",
        )
        if proxy is not None:
            proxy.start()
        if lock is not None:
            lock.execute("ROLLBACK")
            lock.close()
        _wait_drained(bootstrap, settings, prefix, CALLS, engine)
        agent_stats, sink_stats = agent_stage.stop(), sink_stage.stop()
    if proxy is not None:
        proxy.stop()
    got = counts(engine, prefix)
    report(f"database unavailable ({backend})", got, expected(CALLS))
    assert got == expected(CALLS)
    assert (agent_stats.dlq, sink_stats.dlq) == (0, 0)
    assert agent_stats.transient_waits + sink_stats.transient_waits >= 2
    assert _dlq_by_stage(bootstrap) == Counter()


# --- a worker killed mid-batch, the other takes over, the killed one restarted -----------


def _worker_env(bootstrap: str, kafka: KafkaSettings, db_url: str, data: Path) -> dict[str, str]:
    return {
        "KCALL_KAFKA_BOOTSTRAP": bootstrap,
        "KCALL_KAFKA_GROUP_PREFIX": kafka.group_prefix,
        "KCALL_KAFKA_SESSION_TIMEOUT_MS": str(kafka.session_timeout_ms),
        "KCALL_KAFKA_HEARTBEAT_INTERVAL_MS": str(kafka.heartbeat_interval_ms),
        "KCALL_KAFKA_FETCH_MAX_WAIT_MS": str(kafka.fetch_max_wait_ms),
        "KCALL_KAFKA_POLL_TIMEOUT_MS": str(kafka.poll_timeout_ms),
        "KCALL_KAFKA_MAX_POLL_RECORDS": str(kafka.max_poll_records),
        "KCALL_KAFKA_RETRY_BACKOFF_MS": str(kafka.retry_backoff_ms),
        "KCALL_DATABASE_URL": db_url,
        "KCALL_LLM_ENABLED": "false",
        "KCALL_PATHS_DATA": str(data),
    }


def _stop_worker(process: subprocess.Popen[bytes], log: Path, timeout_s: float = WAIT_S) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"worker ignored SIGTERM; log:\n{log.read_text()[-3000:]}") from None


def test_worker_killed_mid_batch_the_other_takes_over_and_the_restarted_one_joins(
    private_kafka_bootstrap: str, db_url: str, migrated_engine: Engine, worker_data: Path,
    tmp_path: Path,
) -> None:  # fmt: skip
    from pipelines.sink import SinkHandler
    from services.db import session_factory
    from tests.fixtures.broker import StageThread

    engine = migrated_engine
    first_calls, later_calls = 16, 4
    seed_world(engine, fault_world(first_calls + later_calls))
    # Create the checkpointer's tables once: two PostgresSaver.setup() racing on a fresh
    # schema collide on its migrations table (one worker would die at start-up).
    with open_checkpointer(db_url):
        pass
    kafka = _kafka(max_poll_records=5)
    settings = stage_settings(db_url, tmp_path, kafka)
    bootstrap = private_kafka_bootstrap
    env = _worker_env(bootstrap, kafka, db_url, worker_data)
    workers: dict[str, subprocess.Popen[bytes]] = {}
    logs = {name: tmp_path / f"{name}.log" for name in ("a", "b", "a2")}

    metrics_port = free_port()

    def start(name: str) -> None:
        ready = tmp_path / f"{name}.ready"
        args = ["--metrics-port", str(metrics_port)] if name == "b" else []
        workers[name] = worker_process("agent", env=env, ready_file=ready, log_file=logs[name],
                                       args=args)  # fmt: skip

    def committed(group: str) -> dict[int, int]:
        return committed_offsets(bootstrap, group, Topic.TRANSCRIPTS.value)

    def scrape() -> str:
        try:
            url = f"http://127.0.0.1:{metrics_port}/metrics"
            with urllib.request.urlopen(url, timeout=10) as response:
                return str(response.read().decode())
        except OSError:
            return ""

    def ready(name: str) -> bool:
        if workers[name].poll() is not None:
            raise AssertionError(f"worker {name} exited: {logs[name].read_text()[-3000:]}")
        return (tmp_path / f"{name}.ready").exists()

    prefix, later = unique_name("kill"), unique_name("killb")
    group = f"{kafka.group_prefix}.agent"
    sink = StageThread(SinkHandler(session_factory(engine)), bootstrap=bootstrap,
                       settings=settings)  # fmt: skip
    try:
        start("a")
        start("b")
        with sink:
            wait_until(lambda: ready("a") and ready("b"), timeout_s=WAIT_S, what="workers up")
            publish(bootstrap, settings, interleave(traffic(prefix, first_calls)))
            # Kill one worker as soon as the group commits its first batch: 5 records per
            # poll, so both workers are in the middle of their partitions' calls.
            wait_until(lambda: sum(committed(group).values()) > 0, timeout_s=WAIT_S,
                       what="first commit")  # fmt: skip
            workers["a"].kill()
            killed_at = time.monotonic()
            at_kill = counts(engine, prefix)
            assert workers["a"].wait(timeout=30) == -signal.SIGKILL
            # The survivor gets the dead member's partitions once its session times out
            # and resumes those calls from the checkpointer.
            _wait_drained(bootstrap, settings, prefix, first_calls, engine)
            print(f"at the SIGKILL {at_kill.insights} of {expected(first_calls).insights} "
                  f"insights were stored; all calls complete and committed "
                  f"{time.monotonic() - killed_at:.1f} s after it")  # fmt: skip
            start("a2")  # the killed worker restarted: it rejoins and takes its share
            wait_until(lambda: ready("a2"), timeout_s=WAIT_S, what="restarted worker up")
            second = [call_messages(f"{later}-{n}", customer_id(first_calls + n))
                      for n in range(1, later_calls + 1)]  # fmt: skip
            publish(bootstrap, settings, interleave(second))
            _wait_drained(bootstrap, settings, later, later_calls, engine)
            # The surviving worker exports its lag and message counts.
            wait_until(lambda: "kcall_consumer_lag{" in scrape(), timeout_s=WAIT_S,
                       what="lag metric")  # fmt: skip
            metrics = scrape()
            assert 'kcall_stage_messages_total{event="consumed",stage="agent"}' in metrics
            exits = {name: _stop_worker(workers[name], logs[name]) for name in ("b", "a2")}
            sink_stats = sink.stop()
    finally:
        for process in workers.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    assert exits == {"b": 0, "a2": 0}, {n: logs[n].read_text()[-2000:] for n in exits}
    got = counts(engine, prefix)
    report("worker SIGKILLed mid-batch", got, expected(first_calls))
    assert got == expected(first_calls)
    got_later = counts(engine, later)
    report("after the restart", got_later, expected(later_calls))
    assert got_later == expected(later_calls)
    assert sink_stats.dlq == 0 and _dlq_by_stage(bootstrap) == Counter()
    assert drained(bootstrap, group, AGENT_TOPICS)  # SIGTERM committed everything


# --- utterances reordered and duplicated within the window, and a gap ------------------


def test_reordered_and_duplicated_utterances_are_exact_and_a_gap_is_audited(
    private_kafka_bootstrap: str, sqlite_engine: tuple[str, Engine], intents: IntentClassifier,
    tmp_path: Path,
) -> None:  # fmt: skip
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from services.db.models import AuditEntry

    url, engine = sqlite_engine
    seed_world(engine, fault_world(CALLS + 1))
    # A window no stall of a loaded machine comes near, and an end that waits longer.
    settings = stage_settings(url, tmp_path, _kafka(reorder_window_s=6.0))
    agent = settings.agent.model_copy(update={"summary_wait_s": 8.0})
    settings = settings.model_copy(update={"agent": agent})
    prefix, gapped = unique_name("shuffle"), unique_name("gap")
    messages = []
    for call in traffic(prefix, CALLS):
        start, *utterances, end = call
        # Utterances backwards, each twice: every one but the first waits for earlier seqs.
        messages += [start, *reversed(utterances), *utterances, end]
    start, *utterances, end = call_messages(f"{gapped}-1", customer_id(CALLS + 1))
    missing = utterances.pop(3)  # an agent line: the call's insights do not depend on it
    assert isinstance(missing, Utterance) and missing.speaker is Speaker.AGENT
    bootstrap = private_kafka_bootstrap
    with pipeline(bootstrap, settings, intents) as (agent_stage, sink_stage):
        publish(bootstrap, settings, messages + [start, *utterances, end])
        _wait_drained(bootstrap, settings, prefix, CALLS, engine)
        _wait_drained(bootstrap, settings, gapped, 1, engine)
        handler = agent_stage.handler
        assert isinstance(handler, ReorderingHandler)
        stats = handler.stats
        agent_stats, sink_stats = agent_stage.stop(), sink_stage.stop()
    got = counts(engine, prefix)
    report("reordered and duplicated", got, expected(CALLS))
    assert got == expected(CALLS)
    report("a call with a gap", counts(engine, gapped), expected(1))
    assert counts(engine, gapped) == expected(1)
    assert (stats.gaps, stats.missing) == (1, 1)
    assert stats.held >= CALLS * (len(LINES) - 1)  # every call but its seq 0 waited
    assert agent_stats.dlq == 0 and sink_stats.dlq == 0
    with Session(engine) as session:
        gaps = session.scalars(select(AuditEntry).where(AuditEntry.action == "utterance_gap")).all()
    assert [(g.call_id, g.detail["first_missing_seq"], g.detail["missing"]) for g in gaps] == [
        (f"{gapped}-1", 3, 1)
    ]
