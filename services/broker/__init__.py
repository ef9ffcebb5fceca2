"""Kafka adapter: embedded tansu broker, client factories, topic admin and a publisher."""

from services.broker.clients import (
    client_config,
    consumer_group,
    make_admin,
    make_consumer,
    make_producer,
)
from services.broker.embedded import BrokerNotReady, EmbeddedBroker
from services.broker.endpoint import kafka_endpoint
from services.broker.probe import answers_kafka
from services.broker.publisher import Publisher, PublishError
from services.broker.topics import ensure_topics

__all__ = [
    "BrokerNotReady",
    "EmbeddedBroker",
    "PublishError",
    "Publisher",
    "answers_kafka",
    "client_config",
    "consumer_group",
    "ensure_topics",
    "kafka_endpoint",
    "make_admin",
    "make_consumer",
    "make_producer",
]
