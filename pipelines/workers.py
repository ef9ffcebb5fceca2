"""The composition root of stage processes: builds each stage's handler with real adapters."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

from pipelines.stage import StageHandler
from services.config import Settings

__all__ = ["Stage", "stage_handler"]


class Stage(StrEnum):
    """The stream stages a worker process can run."""

    ASR = "asr"
    AGENT = "agent"
    SINK = "sink"


@contextmanager
def stage_handler(stage: Stage, settings: Settings) -> Iterator[StageHandler]:
    """Build the handler of `stage`, loading models and opening connections once per process."""
    if stage is Stage.ASR:
        yield _asr_handler(settings)
    elif stage is Stage.SINK:
        from pipelines.sink import SinkHandler
        from services.db import make_engine, session_factory

        engine = make_engine(settings.database_url())
        try:
            yield SinkHandler(session_factory(engine))
        finally:
            engine.dispose()
    else:
        from pipelines.bootstrap import build_agent_runtime

        with build_agent_runtime(settings, llm_base_url=settings.llm.base_url) as runtime:
            yield runtime.handler()


def _asr_handler(settings: Settings) -> StageHandler:
    from agents.korean import redact
    from pipelines.asr import AsrHandler
    from services.asr import load_engine

    return AsrHandler(load_engine(settings), lambda text: redact(text).text, settings.asr)
