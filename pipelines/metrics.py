"""Prometheus metrics of the stream stages: messages, DLQ, retries, outages, lag, held work.

Every worker process exports them (`kcall worker STAGE --metrics-port N` or
`KCALL_KAFKA_METRICS_PORT`); the API process has its own `/metrics`. Labels are the stage
name and, for lag, the topic and partition this worker owns.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, start_http_server

__all__ = [
    "BROKER_OUTAGES",
    "CONSUMER_LAG",
    "DLQ_MESSAGES",
    "HELD_MESSAGES",
    "REORDER_GAPS",
    "REORDER_MISSING",
    "STAGE_MESSAGES",
    "TRANSIENT_WAITS",
    "serve_metrics",
]

_log = logging.getLogger(__name__)

STAGE_MESSAGES = Counter(
    "kcall_stage_messages_total",
    "Messages through a stage: consumed, produced, dead-lettered (dlq), retried (retry)",
    ["stage", "event"],
)
DLQ_MESSAGES = Counter(
    "kcall_stage_dlq_total", "Messages a stage sent to a dead-letter topic", ["stage", "topic"]
)
TRANSIENT_WAITS = Counter(
    "kcall_stage_transient_waits_total",
    "Handler attempts that failed because the database was unavailable (retried, never DLQ)",
    ["stage"],
)
BROKER_OUTAGES = Counter(
    "kcall_stage_broker_recoveries_total",
    "Times a stage rewound to its committed offsets and rebuilt its producer after a publish "
    "failure",
    ["stage"],
)
CONSUMER_LAG = Gauge(
    "kcall_consumer_lag",
    "Records behind the partition's high watermark (next offset to handle)",
    ["stage", "topic", "partition"],
)
HELD_MESSAGES = Gauge(
    "kcall_stage_held_messages",
    "Messages a stage holds in memory (reordering) whose offsets are not yet committable",
    ["stage"],
)
REORDER_GAPS = Counter(
    "kcall_reorder_gaps_total", "Runs of utterances a call went on without", ["stage", "reason"]
)
REORDER_MISSING = Counter(
    "kcall_reorder_missing_utterances_total", "Utterances given up on after the window", ["stage"]
)


def serve_metrics(port: int, host: str = "0.0.0.0") -> None:  # noqa: S104 - scrape target
    """Serve this process's metrics at http://host:port/metrics on a daemon thread."""
    start_http_server(port, addr=host)
    _log.info("metrics on http://%s:%d/metrics", host, port)
