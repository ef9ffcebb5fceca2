"""Wire contract of calls.model-requests.v1: work for the model stage, off the live path.

The agent stage emits the rules' result first (revision 0) and, beside it, a request that
carries that result and the redacted material a model needs to reword it. The model stage
answers with a new revision of the same insight or summary, or with nothing when the
deadline passed or the model's words contradict the rules.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from agents.domain.conversation import Intent
from services.schemas.base import Envelope
from services.schemas.calls import CallInsight, CallSummary

__all__ = ["ModelRequest", "ModelTask"]


class ModelTask(StrEnum):
    """What the model is asked to do."""

    SUMMARY = "summary"
    EXPLANATION = "explanation"
    INTENT = "intent"


class ModelRequest(Envelope):
    """One piece of model work with the rules' result it may revise and its deadline."""

    kind: Literal["model_request"] = "model_request"
    task: ModelTask
    revision: int = Field(ge=1, le=1000, description="revision number the answer will carry")
    # Aware only: the model stage compares it with its UTC clock (a naive one raised there).
    deadline_at: AwareDatetime = Field(description="after this the answer is dropped unsent")
    summary: CallSummary | None = None
    insight: CallInsight | None = None
    transcript: str = Field(default="", max_length=4000, description="redacted customer lines")
    facts: str = Field(default="", max_length=2000, description="the rules' facts, in Korean")
    candidates: list[Intent] = Field(default_factory=list, max_length=5)

    @model_validator(mode="after")
    def _has_its_subject(self) -> ModelRequest:
        if self.task is ModelTask.SUMMARY and self.summary is None:
            raise ValueError("a summary request carries the rules' summary")
        if self.task is not ModelTask.SUMMARY and self.insight is None:
            raise ValueError(f"a {self.task.value} request carries the rules' insight")
        return self
