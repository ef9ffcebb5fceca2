"""The API's composition root: Kafka publisher, database read model and the graph's chat."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from services.api.assistant import GraphAssistant
from services.api.backends import ApiBackends, AssistantChat
from services.api.publisher import KafkaEventPublisher, bootstrap_servers
from services.api.read_model import SqlCallReadModel
from services.broker import kafka_endpoint, make_producer
from services.config import Settings
from services.db import create_engine_from_settings, session_factory
from services.schemas import Topic

__all__ = ["real_backends"]

log = logging.getLogger(__name__)


@contextmanager
def real_backends(settings: Settings) -> Iterator[ApiBackends]:
    """Open the broker producer, the database and the assistant; close them on exit.

    Kafka is `settings.kafka.bootstrap` (topics ensured) or, when unset, an embedded
    broker this process owns. The assistant is optional: if its graph cannot be built
    (intent model, checkpointer, LLM client), the API still ingests and serves views, and
    chat answers 503 with the reason.
    """
    with ExitStack() as stack:
        bootstrap = stack.enter_context(kafka_endpoint(settings))
        producer = make_producer(settings.kafka, bootstrap, client_id="kcall-api")
        publisher = KafkaEventPublisher(producer, bootstrap_servers(bootstrap))
        stack.callback(publisher.close)
        for topic in (Topic.TRANSCRIPTS, Topic.AUDIO, Topic.INSIGHTS):
            # Fetch metadata now, so the first request does not pay for it.
            producer.partitions_for(str(topic))
        engine = create_engine_from_settings(settings)
        stack.callback(engine.dispose)
        read_model = SqlCallReadModel(session_factory(engine))
        chat, reason = _assistant(stack, settings, publisher)
        log.info(
            "API backends ready: kafka %s, database %s, assistant %s",
            bootstrap,
            engine.url.render_as_string(hide_password=True),
            "on" if chat else f"off ({reason})",
        )
        yield ApiBackends(
            publisher=publisher, read_model=read_model, chat=chat, chat_unavailable=reason
        )


def _assistant(
    stack: ExitStack, settings: Settings, publisher: KafkaEventPublisher
) -> tuple[AssistantChat | None, str | None]:
    try:
        from pipelines.bootstrap import build_agent_runtime

        runtime = stack.enter_context(
            build_agent_runtime(settings, llm_base_url=settings.llm.base_url)
        )
    except Exception as exc:  # optional feature: report why and serve the rest
        log.exception("assistant chat disabled")
        return None, f"{type(exc).__name__}: {exc}"
    assistant = GraphAssistant(
        runtime.graph,
        runtime.context,
        on_insight=lambda insight: publisher.publish(Topic.INSIGHTS, insight),
    )
    return assistant, None
