"""The composition root of stage processes: builds each stage's handler with real adapters."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING

from pipelines.stage import StageHandler
from services.config import Settings

if TYPE_CHECKING:
    from pipelines.bootstrap import AgentRuntime
    from pipelines.reorder import Gap, ReorderingHandler

__all__ = ["Stage", "reordering_agent_handler", "stage_handler"]


class Stage(StrEnum):
    """The stream stages a worker process can run."""

    ASR = "asr"
    AGENT = "agent"
    SINK = "sink"
    MODEL = "model"


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
    elif stage is Stage.MODEL:
        from pipelines.bootstrap import build_model_stage

        with build_model_stage(settings) as handler:
            yield handler
    else:
        from pipelines.bootstrap import build_agent_runtime

        # The live path never waits on a model: the agent asks the model stage instead,
        # unless the hot-path baseline is benchmarked.
        base_url = settings.llm.base_url if settings.agent.model_on_hot_path else None
        with build_agent_runtime(settings, llm_base_url=base_url) as runtime:
            yield reordering_agent_handler(runtime)


def reordering_agent_handler(runtime: AgentRuntime) -> ReorderingHandler:
    """The agent's handler behind a per-call reordering buffer (pipelines/reorder.py).

    A call it has not seen resumes after the highest seq its checkpoint processed; a gap
    it gives up on goes to the call's audit log as `utterance_gap`.
    """
    from agents.graph import call_state
    from pipelines.reorder import ReorderingHandler, next_seq_after

    def expected_seq(call_id: str) -> int:
        return next_seq_after(call_state(runtime.graph, call_id).get("processed_seqs", []))

    def audit_gap(gap: Gap) -> None:
        runtime.context.audit.record(
            call_id=gap.call_id, actor="stage:agent", action="utterance_gap",
            detail={"first_missing_seq": gap.start, "last_missing_seq": gap.end - 1,
                    "missing": gap.missing, "reason": gap.reason},
        )  # fmt: skip

    kafka = runtime.settings.kafka
    return ReorderingHandler(
        runtime.handler(),
        expected_seq=expected_seq,
        window_s=kafka.reorder_window_s,
        max_per_call=kafka.reorder_max_per_call,
        max_total=kafka.reorder_max_total,
        on_gap=audit_gap,
    )


def _asr_handler(settings: Settings) -> StageHandler:
    from pipelines.asr import AsrHandler
    from services.asr import load_engine
    from services.privacy import load_pii_vault, redact_and_seal

    vault = load_pii_vault(settings)
    return AsrHandler(load_engine(settings), partial(redact_and_seal, vault=vault), settings.asr)
