"""The embedded broker, the publisher and the stage runner against a real (tansu) broker."""

from __future__ import annotations

import socket
import time
from collections import Counter
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kafka.consumer.fetcher import ConsumerRecord

from pipelines.dlq import DLQ_HEADER_PREFIX
from pipelines.stage import Incoming, Outgoing, PoisonMessage
from services.broker import (
    BrokerNotReady,
    EmbeddedBroker,
    Publisher,
    answers_kafka,
    consumer_group,
    ensure_topics,
    kafka_endpoint,
    make_admin,
)
from services.config import Settings
from services.schemas import (
    AudioChunk,
    CallEnded,
    CallInsight,
    CallStarted,
    CallSummary,
    ChurnSignal,
    DisputeDecision,
    DisputeOutcome,
    GuardianAlert,
    HandoffReason,
    HandoffRequested,
    Intent,
    IntentTier,
    Message,
    ModelRequest,
    ModelTask,
    PhishingAlert,
    PhishingEvidence,
    Speaker,
    SummarySource,
    Topic,
    Utterance,
    all_topic_names,
    decode,
    encode,
)
from tests.fixtures.broker import (
    StageThread,
    committed_offsets,
    fast_kafka_settings,
    read_topic,
    unique_name,
)

pytestmark = pytest.mark.integration

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def _tansu_processes_on(port: int) -> list[int]:
    url = f"tcp://127.0.0.1:{port}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if url in cmdline and state != "Z":
            pids.append(int(entry.name))
    return pids


# --- broker lifecycle ----------------------------------------------------------------


def test_embedded_broker_stops_without_leaving_a_process() -> None:
    broker = EmbeddedBroker().start()
    host, port = broker.bootstrap.split(":")
    pid = broker.pid
    assert pid is not None and answers_kafka(host, int(port))
    broker.stop()
    assert not Path(f"/proc/{pid}").exists()
    assert not answers_kafka(host, int(port), timeout_s=0.3)
    broker.stop()  # idempotent


def test_embedded_broker_that_cannot_start_is_cleaned_up() -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(BrokerNotReady):
            EmbeddedBroker(port=port, startup_timeout_s=1.5).start()
        assert _tansu_processes_on(port) == []


def test_kafka_endpoint_embedded_has_every_topic_and_stops() -> None:
    settings = Settings().model_copy(update={"kafka": fast_kafka_settings(partitions=3)})
    with kafka_endpoint(settings) as bootstrap:
        admin = make_admin(settings.kafka, bootstrap)
        try:
            assert set(all_topic_names()) <= set(admin.list_topics())
            described = admin.describe_topics([Topic.AUDIO.value])
            assert len(described[0]["partitions"]) == 3
        finally:
            admin.close()
    host, port = bootstrap.split(":")
    assert not answers_kafka(host, int(port), timeout_s=0.3)


def test_kafka_endpoint_stops_its_broker_when_the_block_fails() -> None:
    settings = Settings().model_copy(update={"kafka": fast_kafka_settings()})
    with pytest.raises(RuntimeError, match="stage blew up"):
        with kafka_endpoint(settings) as bootstrap:
            port = int(bootstrap.split(":")[1])
            assert _tansu_processes_on(port)
            raise RuntimeError("stage blew up")
    assert _tansu_processes_on(port) == []


def test_kafka_endpoint_external_reuses_existing_topics(private_kafka_bootstrap: str) -> None:
    kafka = fast_kafka_settings(bootstrap=private_kafka_bootstrap)
    settings = Settings().model_copy(update={"kafka": kafka})
    with kafka_endpoint(settings) as bootstrap:
        assert bootstrap == private_kafka_bootstrap
        assert ensure_topics(kafka, bootstrap) == []


# --- publisher round trip ------------------------------------------------------------


def _every_message(call_id: str) -> list[tuple[Topic, Message]]:
    pcm = bytes(range(256)) * 64  # every byte value, 16 KiB of PCM16
    decision = DisputeDecision(
        outcome=DisputeOutcome.CREDIT_ISSUED, rule="duplicate_charge", amount_krw=11000,
        invoice_id="INV-1", invoice_line_ids=["L1", "L2"], idempotency_key=f"{call_id}:INV-1",
        explanation="중복 청구된 11,000원을 환불해 드렸습니다.",
    )  # fmt: skip
    messages: list[tuple[Topic, Message]] = [
        (Topic.AUDIO, AudioChunk(call_id=call_id, occurred_at=NOW, seq=0,
                                 channel=Speaker.CUSTOMER, sample_rate=16000, pcm=pcm, last=True)),
        (Topic.TRANSCRIPTS, CallStarted(call_id=call_id, occurred_at=NOW, customer_id="C-001")),
        (Topic.TRANSCRIPTS, Utterance(call_id=call_id, occurred_at=NOW, seq=0,
                                      speaker=Speaker.CUSTOMER, text="요금이 두 번 나갔어요",
                                      start_ms=0, end_ms=2100, confidence=0.91, source="asr")),
        (Topic.TRANSCRIPTS, CallEnded(call_id=call_id, occurred_at=NOW, utterances=1)),
        (Topic.INSIGHTS, CallInsight(call_id=call_id, occurred_at=NOW, utterance_seq=0,
                                     intent=Intent.BILLING_DISPUTE, intent_confidence=0.93,
                                     intent_tier=IntentTier.FAST, churn_score=0.42,
                                     churn_flag=False, dispute=decision,
                                     churn_signals=[ChurnSignal(name="price_complaint",
                                                                weight=0.3, evidence="요금")])),
        (Topic.SUMMARIES, CallSummary(call_id=call_id, occurred_at=NOW, summary="중복 청구 환불",
                                      customer_request="환불", resolution="11,000원 환불",
                                      follow_up="없음", sentiment="중립", churn_risk="낮음",
                                      intents=[Intent.BILLING_DISPUTE], churn_score=0.42,
                                      dispute=decision, source=SummarySource.TEMPLATE,
                                      utterances=1)),
    ]  # fmt: skip
    summary = messages[-1][1]
    assert isinstance(summary, CallSummary)
    messages.append((Topic.MODEL_REQUESTS, ModelRequest(
        call_id=call_id, occurred_at=NOW, task=ModelTask.SUMMARY, revision=1,
        deadline_at=NOW + timedelta(minutes=3), summary=summary, transcript="고객: 두 번 나갔어요",
        facts="처리 결과: 11,000원 환불")))
    alert = PhishingAlert(
        call_id=call_id, occurred_at=NOW, utterance_seq=0, customer_id="C-001", score=0.93,
        threshold=0.8, advice="통화를 끊고 대표번호로 직접 확인해 주세요.",
        evidence=[PhishingEvidence(signal="safe_account", utterance_seq=0, start=0, end=4,
                                   text="안전계좌", weight=2.1)],
    )  # fmt: skip
    messages.append((Topic.PHISHING_ALERTS, alert))
    messages.append((Topic.GUARDIAN_ALERTS, GuardianAlert(
        call_id=call_id, occurred_at=NOW, alert_id=alert.message_id, customer_id="C-001",
        guardian_id="G-001", utterance_seq=0, score=0.93,
        message="가족분께서 보이스피싱 의심 통화를 받고 계십니다.")))
    messages.append((Topic.HANDOFFS, HandoffRequested(
        call_id=call_id, occurred_at=NOW, utterance_seq=1, customer_id="C-001", source="chat",
        reason=HandoffReason.CUSTOMER_REQUEST, evidence="상담원 연결해 주세요",
        message="상담원에게 연결해 드릴게요. 잠시만 기다려 주세요.")))
    return messages


def test_every_schema_type_round_trips_keyed_by_call_id(private_kafka_bootstrap: str) -> None:
    call_id = unique_name("call")
    sent = _every_message(call_id)
    with Publisher(private_kafka_bootstrap, fast_kafka_settings()) as publisher:
        for topic, message in sent:
            publisher.send(topic, message)
        publisher.flush()
    for topic in Topic:
        expected = [m for t, m in sent if t is topic]
        records = read_topic(private_kafka_bootstrap, topic.value, min_records=len(expected))
        assert [decode(topic, r.value) for r in records] == expected
        assert {r.key for r in records} == {call_id.encode()}
        assert len({r.partition for r in records}) == 1
    audio = read_topic(private_kafka_bootstrap, Topic.AUDIO.value, min_records=1)[0]
    assert audio.value == encode(sent[0][1])  # raw binary frame, not base64 JSON


# --- a handler that can be told to fail ----------------------------------------------


class _SimulatedCrash(BaseException):
    """Stands in for the process dying: not an Exception, so the runner does not retry it."""


class _TestHandler:
    """Turns utterances into insights; holds a call's state from CallStarted to CallEnded."""

    sources = (Topic.TRANSCRIPTS,)

    def __init__(
        self,
        name: str = "itest",
        *,
        poison_seqs: Collection[int] = (),
        failing_seqs: dict[int, int] | None = None,
        crash_seq: int | None = None,
    ) -> None:
        self.name = name
        self.poison_seqs = set(poison_seqs)
        self.failing_seqs = failing_seqs or {}
        self.crash_seq = crash_seq
        self.seen: list[tuple[int, int]] = []  # (partition, offset) of every attempt's input
        self.attempts: Counter[int] = Counter()
        self.open_calls: dict[int, int] = {}  # partition -> offset of its open CallStarted
        self.revoked: list[set[int]] = []

    def handle(self, incoming: Incoming) -> Sequence[Outgoing]:
        message = incoming.message
        if not self.seen or self.seen[-1] != (incoming.partition, incoming.offset):
            self.seen.append((incoming.partition, incoming.offset))
        if isinstance(message, CallStarted):
            self.open_calls.setdefault(incoming.partition, incoming.offset)
            return []
        if isinstance(message, CallEnded):
            self.open_calls.pop(incoming.partition, None)
            return []
        assert isinstance(message, Utterance)
        self.attempts[message.seq] += 1
        if message.seq == self.crash_seq:
            raise _SimulatedCrash
        if message.seq in self.poison_seqs:
            raise PoisonMessage(f"utterance {message.seq} is unusable")
        if self.attempts[message.seq] <= self.failing_seqs.get(message.seq, 0):
            raise ConnectionError("database briefly unavailable")
        insight = CallInsight(
            call_id=message.call_id, occurred_at=NOW, utterance_seq=message.seq,
            intent=Intent.OTHER, intent_confidence=0.5, intent_tier=IntentTier.FAST,
            churn_score=0.0, churn_flag=False,
        )  # fmt: skip
        return [Outgoing(Topic.INSIGHTS, insight)]

    def tick(self, now: float) -> Sequence[Outgoing]:
        return []

    def safe_offset(self, partition: int) -> int | None:
        return self.open_calls.get(partition)

    def revoke(self, partitions: Collection[int]) -> None:
        self.revoked.append(set(partitions))
        for partition in partitions:
            self.open_calls.pop(partition, None)


def _utterance(call_id: str, seq: int, text: str = "데이터가 너무 빨리 닳아요") -> Utterance:
    return Utterance(
        call_id=call_id, occurred_at=NOW, seq=seq, speaker=Speaker.CUSTOMER, text=text,
        start_ms=seq * 1000, end_ms=seq * 1000 + 900, confidence=0.9,
    )  # fmt: skip


def _publish(bootstrap: str, settings: Settings, messages: Sequence[Message]) -> None:
    with Publisher(bootstrap, settings.kafka) as publisher:
        for message in messages:
            publisher.send(Topic.TRANSCRIPTS, message)
        publisher.flush()


def _publish_raw(bootstrap: str, settings: Settings, key: bytes, value: bytes) -> None:
    with Publisher(bootstrap, settings.kafka) as publisher:
        publisher.send_raw(Topic.TRANSCRIPTS.value, key=key, value=value)
        publisher.flush()


def _wait_for(predicate: object, timeout_s: float = 20.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def _insight_seqs(bootstrap: str, count: int) -> list[int]:
    records = read_topic(bootstrap, Topic.INSIGHTS.value, min_records=count)
    return sorted(_decoded_insight(r).utterance_seq for r in records)


def _decoded_insight(record: ConsumerRecord) -> CallInsight:
    message = decode(Topic.INSIGHTS, record.value)
    assert isinstance(message, CallInsight)
    return message


def _group_committed(bootstrap: str, settings: Settings, stage: str) -> dict[int, int]:
    group = consumer_group(settings.kafka, stage)
    return committed_offsets(bootstrap, group, Topic.TRANSCRIPTS.value)


# --- the runner ----------------------------------------------------------------------


def test_runner_publishes_outputs_then_commits_everything(
    private_kafka_bootstrap: str, kafka_test_settings: Settings
) -> None:
    bootstrap, settings = private_kafka_bootstrap, kafka_test_settings
    call_id = unique_name("call")
    _publish(bootstrap, settings, [_utterance(call_id, seq) for seq in range(5)])
    handler = _TestHandler()
    with StageThread(handler, bootstrap=bootstrap, settings=settings) as stage:
        _wait_for(lambda: len(handler.seen) == 5)
        stats = stage.stop()
    assert (stats.consumed, stats.produced, stats.dlq, stats.retries) == (5, 5, 0, 0)
    assert _insight_seqs(bootstrap, 5) == [0, 1, 2, 3, 4]
    partition = handler.seen[0][0]
    assert _group_committed(bootstrap, settings, handler.name) == {partition: 5}


def test_crash_before_commit_redelivers_on_restart(
    private_kafka_bootstrap: str, kafka_test_settings: Settings
) -> None:
    bootstrap, settings = private_kafka_bootstrap, kafka_test_settings
    call_id = unique_name("call")
    _publish(bootstrap, settings, [_utterance(call_id, seq) for seq in range(5)])
    crashing = _TestHandler(crash_seq=3)
    stage = StageThread(crashing, bootstrap=bootstrap, settings=settings).start()
    assert isinstance(stage.join_crashed(), _SimulatedCrash)
    partition, crash_offset = crashing.seen[-1]
    committed = _group_committed(bootstrap, settings, crashing.name).get(partition, 0)
    assert committed <= crash_offset  # the crashed record was never committed

    healthy = _TestHandler()
    with StageThread(healthy, bootstrap=bootstrap, settings=settings) as restarted:
        _wait_for(lambda: len(healthy.seen) == 5 - committed)
        restarted.stop()
    assert healthy.seen[0] == (partition, committed)
    assert (partition, crash_offset) in healthy.seen
    assert set(crashing.seen) & set(healthy.seen), "handled-but-uncommitted input redelivered"
    assert _group_committed(bootstrap, settings, healthy.name) == {partition: 5}


def test_poison_and_exhausted_retries_go_to_the_dlq_and_the_stage_moves_on(
    private_kafka_bootstrap: str, kafka_test_settings: Settings
) -> None:
    bootstrap, settings = private_kafka_bootstrap, kafka_test_settings
    call_id = unique_name("call")
    garbage = b"\xff\xfe definitely not JSON"
    utterances = [_utterance(call_id, seq) for seq in range(4)]
    _publish(bootstrap, settings, utterances[:1])
    _publish_raw(bootstrap, settings, call_id.encode(), garbage)
    _publish(bootstrap, settings, utterances[1:])
    handler = _TestHandler(poison_seqs={1}, failing_seqs={2: 99})
    with StageThread(handler, bootstrap=bootstrap, settings=settings) as stage:
        _wait_for(lambda: handler.attempts[3] == 1)
        stats = stage.stop()

    assert (stats.consumed, stats.produced, stats.dlq) == (5, 2, 3)
    assert stats.retries == settings.kafka.max_attempts - 1
    assert _insight_seqs(bootstrap, 2) == [0, 3]
    letters = read_topic(bootstrap, Topic.TRANSCRIPTS.dlq, min_records=3)
    assert len(letters) == 3
    headers = [{k: v.decode() for k, v in r.headers} for r in letters]
    by_class = {
        h[DLQ_HEADER_PREFIX + "error.class"]: (h, r) for h, r in zip(headers, letters, strict=True)
    }
    decode_header, decode_record = by_class["services.schemas.codec.DecodeError"]
    assert decode_record.value == garbage and decode_record.key == call_id.encode()
    assert decode_header[DLQ_HEADER_PREFIX + "attempts"] == "0"
    poison_header, poison_record = by_class["pipelines.stage.PoisonMessage"]
    assert poison_record.value == encode(utterances[1])
    assert poison_header[DLQ_HEADER_PREFIX + "attempts"] == "1"
    assert poison_header[DLQ_HEADER_PREFIX + "error.message"] == "utterance 1 is unusable"
    assert poison_header[DLQ_HEADER_PREFIX + "stage"] == handler.name
    assert poison_header[DLQ_HEADER_PREFIX + "source.topic"] == Topic.TRANSCRIPTS.value
    assert poison_header[DLQ_HEADER_PREFIX + "source.offset"] == "2"
    assert poison_header[DLQ_HEADER_PREFIX + "source.partition"] == str(poison_record.partition)
    retry_header, _ = by_class["builtins.ConnectionError"]
    assert retry_header[DLQ_HEADER_PREFIX + "attempts"] == str(settings.kafka.max_attempts)
    assert _group_committed(bootstrap, settings, handler.name) == {handler.seen[0][0]: 5}


def test_transient_error_is_retried_then_succeeds(
    private_kafka_bootstrap: str, kafka_test_settings: Settings
) -> None:
    bootstrap, settings = private_kafka_bootstrap, kafka_test_settings
    call_id = unique_name("call")
    _publish(bootstrap, settings, [_utterance(call_id, seq) for seq in range(3)])
    handler = _TestHandler(failing_seqs={1: 2})
    with StageThread(handler, bootstrap=bootstrap, settings=settings) as stage:
        _wait_for(lambda: handler.attempts[2] == 1)
        stats = stage.stop()
    assert (stats.produced, stats.dlq, stats.retries) == (3, 0, 2)
    assert handler.attempts[1] == 3
    assert _insight_seqs(bootstrap, 3) == [0, 1, 2]
    assert read_topic(bootstrap, Topic.TRANSCRIPTS.dlq, settle_s=0.2) == []


def test_safe_offset_holds_commits_and_restart_replays_from_it(
    private_kafka_bootstrap: str, kafka_test_settings: Settings
) -> None:
    bootstrap, settings = private_kafka_bootstrap, kafka_test_settings
    call_id = unique_name("call")
    opening = [CallStarted(call_id=call_id, occurred_at=NOW, customer_id="C-7")]
    _publish(bootstrap, settings, opening + [_utterance(call_id, seq) for seq in range(2)])

    first = _TestHandler()
    with StageThread(first, bootstrap=bootstrap, settings=settings) as stage:
        _wait_for(lambda: len(first.seen) == 3)
        stage.stop()
    partition, started_at = first.seen[0]
    assert started_at == 0
    assert _group_committed(bootstrap, settings, first.name) == {partition: 0}

    second = _TestHandler()
    with StageThread(second, bootstrap=bootstrap, settings=settings) as stage:
        _wait_for(lambda: len(second.seen) == 3)
        assert second.seen == first.seen  # state rebuilt by replay from the safe offset
        _publish(bootstrap, settings, [CallEnded(call_id=call_id, occurred_at=NOW, utterances=2)])
        _wait_for(lambda: len(second.seen) == 4)
        stage.stop()
    assert _group_committed(bootstrap, settings, second.name) == {partition: 4}


def test_rebalance_mid_call_replays_held_state_for_whoever_owns_the_partition(
    private_kafka_bootstrap: str, kafka_test_settings: Settings
) -> None:
    bootstrap, settings = private_kafka_bootstrap, kafka_test_settings
    # Enough open calls that every partition holds one (4 partitions, 40 keys).
    starts = [CallStarted(call_id=unique_name("call"), occurred_at=NOW, customer_id="C-1")]
    starts += [CallStarted(call_id=unique_name("call"), occurred_at=NOW, customer_id="C-1")
               for _ in range(39)]  # fmt: skip
    _publish(bootstrap, settings, starts)
    first, second = _TestHandler(), _TestHandler()
    with StageThread(first, bootstrap=bootstrap, settings=settings):
        _wait_for(lambda: len(first.seen) == len(starts))
        opened = dict(sorted(first.open_calls.items()))
        assert len(opened) == settings.kafka.partitions
        mark = len(first.seen)
        with StageThread(second, bootstrap=bootstrap, settings=settings):
            # EAGER rebalance: `first` drops all state; partitions it keeps are rewound to
            # their committed (safe) offsets, the others start there for `second`.
            def replayed() -> bool:
                again = set(first.seen[mark:]) | set(second.seen)
                return all((p, offset) in again for p, offset in opened.items())

            _wait_for(replayed)
    assert first.revoked


def test_clean_shutdown_commits_and_leaves_the_group(
    private_kafka_bootstrap: str, kafka_test_settings: Settings
) -> None:
    bootstrap, settings = private_kafka_bootstrap, kafka_test_settings
    call_id = unique_name("call")
    handler = _TestHandler()
    stage = StageThread(handler, bootstrap=bootstrap, settings=settings).start()
    _publish(bootstrap, settings, [_utterance(call_id, seq) for seq in range(3)])
    _wait_for(lambda: len(handler.seen) == 3)
    stage.stop()
    assert handler.revoked, "partitions were released on close"
    assert _group_committed(bootstrap, settings, handler.name) == {handler.seen[0][0]: 3}

    # A member that never left holds its partitions until its session times out: measured
    # here, a successor then joins after ~11 s instead of ~3 s. (kafka-python cannot parse
    # tansu's DescribeGroups answer, so the group is observed through its behaviour.)
    # Joins slow down on a loaded machine, so the successor is timed against a join into a
    # group nobody was ever in, measured here and now: a left group costs no more than that,
    # a group still held costs the session timeout on top.
    successor = _TestHandler()
    started = time.monotonic()
    with StageThread(successor, bootstrap=bootstrap, settings=settings):
        joined_after = time.monotonic() - started
    started = time.monotonic()
    with StageThread(_TestHandler(unique_name("fresh")), bootstrap=bootstrap, settings=settings):
        fresh_join = time.monotonic() - started
    session_s = settings.kafka.session_timeout_ms / 1000
    assert joined_after < fresh_join + session_s / 2, (joined_after, fresh_join)
    assert successor.seen == []  # nothing replayed: everything was committed
