"""The model stage on a scripted chat model: priorities, deadlines, offsets, rule checks."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

from agents.ports import ModelReply, ModelUnavailable
from agents.prompts.explanation import Explanation
from agents.prompts.intent import IntentChoice
from agents.prompts.summary import SummaryDraft
from agents.revisions import Rejected, Revised, revise, revision_message_id
from pipelines.model import ModelStageHandler
from pipelines.stage import Incoming, Outgoing
from services.schemas import (
    CallInsight,
    CallSummary,
    DisputeDecision,
    DisputeOutcome,
    Intent,
    IntentTier,
    ModelRequest,
    ModelTask,
    RevisionSource,
    Topic,
)
from tests.unit.agents.fakes import NOW

GOOD_SUMMARY = SummaryDraft(summary="고객이 중복 청구를 문의하셨고 감면 안내를 받으셨습니다.",
                            customer_request="중복 청구 정정을 요청하셨습니다.", sentiment="neutral")


class ScriptedChat:
    """Answers by node; records the order of calls; can block until released."""

    def __init__(self, answers: dict[str, Any], gate: threading.Event | None = None) -> None:
        self.answers, self.gate, self.asked = answers, gate, []

    def structured(self, *, node: str, system: str, user: str, schema: type[Any],
                   max_tokens: int = 256) -> ModelReply:
        if self.gate is not None:
            self.gate.wait(10)
        self.asked.append(node)
        answer = self.answers.get(node, ModelUnavailable("timeout"))
        if isinstance(answer, Exception):
            raise answer
        return ModelReply(value=answer, prompt_tokens=300, completion_tokens=40)

    def text(self, *, node: str, system: str, user: str, max_tokens: int = 256) -> ModelReply:
        raise ModelUnavailable("disabled")


def _summary(dispute: DisputeDecision | None = None) -> CallSummary:
    return CallSummary(call_id="c1", message_id="summary-c1-0", summary="고객이 요금 건으로 문의하였습니다.",
                       customer_request="요금 관련 처리를 요청하였습니다.",
                       resolution="중복 청구로 확인되어 12,000원을 감면하였습니다.", follow_up="없습니다.",
                       sentiment="중립적입니다.", churn_risk="낮음", churn_score=0.1,
                       dispute=dispute, source=RevisionSource.RULES, utterances=4)


def _credit() -> DisputeDecision:
    return DisputeDecision(outcome=DisputeOutcome.CREDIT_ISSUED, rule="duplicate_charge",
                           amount_krw=12000, explanation="12,000원은 다음 달 요금에서 감면해 드리겠습니다.")


def _insight(seq: int = 1, **changes: Any) -> CallInsight:
    values: dict[str, Any] = dict(call_id="c1", message_id=f"insight-c1-{seq}", utterance_seq=seq,
                                  intent=Intent.OTHER, intent_confidence=0.3,
                                  intent_tier=IntentTier.FAST, churn_score=0.1, churn_flag=False)
    return CallInsight(**{**values, **changes})


def _request(task: ModelTask, *, deadline_s: float = 60, call: str = "c1", seq: int = 1,
             **material: Any) -> ModelRequest:
    subject: dict[str, Any] = ({"summary": _summary(_credit())} if task is ModelTask.SUMMARY
                               else {"insight": _insight(seq)})
    defaults = {"facts": "처리 결과: 중복 청구로 확인되어 12,000원을 감면하였습니다.", **subject}
    return ModelRequest(message_id=f"mr-{task.value}-{call}-{seq}", call_id=call, task=task,
                        revision=1, occurred_at=NOW, deadline_at=NOW + timedelta(seconds=deadline_s),
                        **{**defaults, **material})


def test_a_good_summary_becomes_revision_one_written_by_the_model() -> None:
    chat = ScriptedChat({"model_stage.summary": GOOD_SUMMARY})
    request = _request(ModelTask.SUMMARY)
    result = revise(request, chat, now=NOW)
    assert isinstance(result, Revised) and isinstance(result.message, CallSummary)
    assert result.message.revision == 1 and result.message.source is RevisionSource.MODEL
    assert result.message.summary == GOOD_SUMMARY.summary
    assert result.message.resolution == _summary().resolution  # facts stay the rules'
    assert result.message.message_id == revision_message_id(request)
    assert result.message.model_tokens == result.tokens == 340


def test_summaries_that_contradict_the_rules_are_rejected() -> None:
    cases = {
        "amount_not_in_rules": "고객님께 50,000원을 감면해 드렸습니다.",
        "not_polite": "고객이 중복 청구를 문의했다. 감면 안내를 받았습니다.",
        "pii": "고객 010-1234-5678 님이 중복 청구를 문의하셨습니다.",
        "truncated": "고객이 중복 청구를 문의하셨고 감면 안내를",
    }
    for reason, text in cases.items():
        draft = GOOD_SUMMARY.model_copy(update={"summary": text})
        result = revise(_request(ModelTask.SUMMARY), ScriptedChat({"model_stage.summary": draft}),
                        now=NOW)
        assert isinstance(result, Rejected) and result.reason.startswith(reason), (reason, result)


def test_a_credit_the_rules_did_not_make_is_rejected() -> None:
    summary = _summary(None).model_copy(update={"resolution": "요금 관련 안내를 드렸습니다."})
    request = _request(ModelTask.SUMMARY, summary=summary, facts="처리 결과: 요금 관련 안내를 드렸습니다.")
    draft = GOOD_SUMMARY.model_copy(update={"summary": "요금을 확인하고 감면해 드리기로 하였습니다."})
    result = revise(request, ScriptedChat({"model_stage.summary": draft}), now=NOW)
    assert isinstance(result, Rejected) and result.reason == "credit_not_decided"


def test_intents_that_move_money_come_from_code() -> None:
    chat = ScriptedChat({"model_stage.intent": IntentChoice(intent=Intent.BILLING_DISPUTE)})
    result = revise(_request(ModelTask.INTENT, transcript="그게 좀 이상해서요"), chat, now=NOW)
    assert isinstance(result, Rejected) and result.reason == "money_intent_from_code"
    chat = ScriptedChat({"model_stage.intent": IntentChoice(intent=Intent.ROAMING)})
    result = revise(_request(ModelTask.INTENT, transcript="해외에서 쓰려고요",
                             candidates=[Intent.ROAMING, Intent.OTHER]), chat, now=NOW)
    assert isinstance(result, Revised) and isinstance(result.message, CallInsight)
    assert result.message.intent is Intent.ROAMING and result.message.intent_tier is IntentTier.LLM


def test_an_explanation_keeps_the_amount_and_the_decision() -> None:
    insight = _insight(dispute=_credit(), intent=Intent.BILLING_DISPUTE, intent_confidence=0.9)
    worded = Explanation(text="확인 결과 12,000원은 다음 달 요금에서 감면해 드리겠습니다.")
    request = _request(ModelTask.EXPLANATION, insight=insight, facts="같은 항목이 두 번 청구됨")
    result = revise(request, ScriptedChat({"model_stage.explanation": worded}), now=NOW)
    assert isinstance(result, Revised) and isinstance(result.message, CallInsight)
    assert result.message.dispute is not None
    assert result.message.dispute.explanation == worded.text
    assert result.message.dispute.amount_krw == 12000
    wrong = Explanation(text="확인 결과 20,000원은 다음 달 요금에서 감면해 드리겠습니다.")
    result = revise(request, ScriptedChat({"model_stage.explanation": wrong}), now=NOW)
    assert isinstance(result, Rejected) and result.reason.startswith("amount_not_in_rules")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _drain(handler: ModelStageHandler, want: int) -> list[Outgoing]:
    out: list[Outgoing] = []
    for _ in range(500):
        out += handler.tick(0.0)
        if len(out) >= want and handler.backlog() == 0:
            return out
        time.sleep(0.01)
    return out


def test_summaries_go_first_and_offsets_wait_for_answers() -> None:
    gate = threading.Event()
    chat = ScriptedChat({"model_stage.summary": GOOD_SUMMARY,
                         "model_stage.intent": IntentChoice(intent=Intent.ROAMING)}, gate)
    handler = ModelStageHandler(chat, now=Clock())
    try:
        handler.handle(Incoming(_request(ModelTask.INTENT, seq=1, transcript="로밍"), 0, 10))
        handler.handle(Incoming(_request(ModelTask.INTENT, seq=2, transcript="로밍"), 0, 11))
        handler.handle(Incoming(_request(ModelTask.SUMMARY, seq=3), 0, 12))
        assert handler.safe_offset(0) == 10  # nothing may be committed past unanswered work
        gate.set()
        out = _drain(handler, 2)
        # The first intent may already be with the model; the summary overtakes the second.
        assert chat.asked.index("model_stage.summary") <= 1
        assert handler.safe_offset(0) is None
        assert sorted(o.topic for o in out) == [Topic.INSIGHTS, Topic.INSIGHTS, Topic.SUMMARIES]
        assert handler.stats.answered == {"summary": 1, "intent": 2}
    finally:
        handler.close()


def test_expired_requests_are_dropped_unasked_and_duplicates_ignored() -> None:
    clock = Clock()
    chat = ScriptedChat({"model_stage.summary": GOOD_SUMMARY})
    handler = ModelStageHandler(chat, now=clock)
    try:
        clock.now = NOW + timedelta(seconds=120)
        handler.handle(Incoming(_request(ModelTask.SUMMARY, deadline_s=60), 0, 1))
        assert _drain(handler, 0) == [] and handler.stats.expired["summary"] == 1
        assert chat.asked == []
        fresh = _request(ModelTask.SUMMARY, deadline_s=600, call="c2")
        handler.handle(Incoming(fresh, 1, 5))
        out = _drain(handler, 1)
        handler.handle(Incoming(fresh, 1, 5))  # redelivered after it was answered
        assert len(out) == 1 and handler.stats.duplicates == 1
    finally:
        handler.close()


def test_a_full_queue_sheds_the_least_urgent_request() -> None:
    gate = threading.Event()
    handler = ModelStageHandler(ScriptedChat({}, gate), now=Clock(), max_queued=2)
    try:
        for seq in range(4):
            handler.handle(Incoming(_request(ModelTask.INTENT, seq=seq, transcript="음"), 0, seq))
        assert sum(handler.stats.shed.values()) >= 1
        gate.set()
        _drain(handler, 0)
        assert handler.safe_offset(0) is None
    finally:
        handler.close()


def test_every_model_call_is_audited_with_its_tokens_answered_or_not() -> None:
    from tests.unit.agents.fakes import FakeAudit

    audit = FakeAudit()
    bad = GOOD_SUMMARY.model_copy(update={"summary": "고객님께 50,000원을 감면해 드렸습니다."})
    handler = ModelStageHandler(ScriptedChat({"model_stage.summary": bad}), now=Clock(),
                                audit=audit)
    try:
        handler.handle(Incoming(_request(ModelTask.SUMMARY), 0, 0))
        assert _drain(handler, 0) == []
        for _ in range(200):
            if audit.entries:
                break
            time.sleep(0.01)
    finally:
        handler.close()
    (entry,) = audit.entries
    assert entry["actor"] == "model:summary"
    assert entry["action"].startswith("rejected:amount_not_in_rules")
    assert entry["prompt_tokens"] == 300 and handler.stats.tokens == 340
