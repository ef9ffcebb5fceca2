"""The API's composition root: Kafka publisher, database queries and commands, graph chat."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager

from services.api.assistant import GraphAssistant
from services.api.backends import ApiBackends, AssistantChat
from services.api.call_registry import SqlCallRegistry
from services.api.commands import SqlApiCommands
from services.api.publisher import KafkaEventPublisher, bootstrap_servers
from services.api.read_model import SqlCallReadModel
from services.api.wording import LlmWordingStream, WordingStream
from services.broker import kafka_endpoint, make_producer
from services.config import Settings
from services.db import create_engine_from_settings, session_factory
from services.db.repositories.api_access import SqlAccessLog, SqlApiKeyStore
from services.privacy import load_pii_vault
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
        sessions = session_factory(engine)
        read_model = SqlCallReadModel(sessions)
        wording, closers = _wording(settings)
        chat, reason = _assistant(stack, settings, publisher, wording)
        log.info(
            "API backends ready: kafka %s, database %s, assistant %s",
            bootstrap,
            engine.url.render_as_string(hide_password=True),
            "on" if chat else f"off ({reason})",
        )
        yield ApiBackends(
            publisher=publisher,
            read_model=read_model,
            commands=SqlApiCommands(sessions),
            calls=SqlCallRegistry(sessions),
            chat=chat,
            chat_unavailable=reason,
            keys=SqlApiKeyStore(sessions),
            access_log=SqlAccessLog(sessions),
            vault=load_pii_vault(settings),
            async_closers=closers,
        )


def _wording(
    settings: Settings,
) -> tuple[WordingStream | None, list[Callable[[], Awaitable[None]]]]:
    """The model that words general chat answers, streamed; None without a model."""
    if not (settings.llm.enabled and settings.llm.base_url):
        return None, []
    from services.llm.client import OpenAICompatibleClient

    # A second try would repeat text already shown; a stalled stream falls back at once.
    client = OpenAICompatibleClient(
        settings.llm.model_copy(update={"max_retries": 0}), base_url=settings.llm.base_url
    )
    stream = LlmWordingStream(
        client,
        timeout_s=settings.api.chat_stream_timeout_s,
        max_tokens=settings.api.chat_stream_max_tokens,
    )
    return stream, [client.aclose]


def _assistant(
    stack: ExitStack,
    settings: Settings,
    publisher: KafkaEventPublisher,
    wording: WordingStream | None,
) -> tuple[AssistantChat | None, str | None]:
    try:
        from pipelines.bootstrap import build_agent_runtime

        # The chat's graph runs without a model, like a call's live path: a reply worded
        # by code never waits for one. Only general answers are worded, streamed.
        runtime = stack.enter_context(build_agent_runtime(settings, llm_base_url=None))
    except Exception as exc:  # optional feature: report why and serve the rest
        log.exception("assistant chat disabled")
        return None, f"{type(exc).__name__}: {exc}"
    assistant = GraphAssistant(
        runtime.graph,
        runtime.context,
        approval_graph=runtime.approval_graph,
        on_insight=lambda insight: publisher.publish(Topic.INSIGHTS, insight),
        on_handoff=lambda handoff: publisher.publish(Topic.HANDOFFS, handoff),
        wording=wording,
    )
    return assistant, None
