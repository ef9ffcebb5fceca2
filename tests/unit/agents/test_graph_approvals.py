"""Above-limit credits wait for a supervisor on their own thread; resumes are never trusted."""

from __future__ import annotations

from langgraph.checkpoint.memory import InMemorySaver

from agents.approvals import (
    approval_thread_id,
    build_approval_graph,
    resume_approval,
    settle_call,
)
from agents.graph import build_graph, call_state
from services.schemas import DisputeOutcome
from tests.unit.agents.fakes import CallDriver, Ports, ports, world

TEXT = "지난달 해외에 간 적이 없는데 로밍 요금이 나왔어요"


def _pending(fakes: Ports):  # type: ignore[no-untyped-def]
    """The call graph, the approval graph (one checkpointer), context, call and its turn."""
    saver = InMemorySaver()
    graph, approvals = build_graph(saver), build_approval_graph(saver)
    context = fakes.context()
    call = CallDriver(graph, context, approval_graph=approvals)
    turn = call.say(TEXT)
    return graph, approvals, context, call, turn


def test_above_limit_interrupts_for_approval_and_moves_no_money() -> None:
    fakes = ports(world("roaming_without_usage", roaming_krw=55_000))
    _, approvals, _, _, turn = _pending(fakes)
    assert turn.insight.dispute.outcome is DisputeOutcome.PENDING_APPROVAL
    assert turn.insight.dispute.amount_krw == 55_000
    assert turn.approval_id == turn.insight.dispute.approval_id
    ticket = fakes.approvals.get(turn.approval_id)
    assert ticket is not None and ticket.status == "pending" and ticket.amount_krw == 55_000
    snapshot = approvals.get_state({"configurable": {"thread_id": approval_thread_id(
        "call-1", turn.approval_id)}})
    assert snapshot.interrupts and snapshot.interrupts[0].value["amount_krw"] == 55_000
    assert fakes.ledger.credits == {}


def test_call_keeps_processing_utterances_while_an_approval_waits() -> None:
    fakes = ports(world("roaming_without_usage", roaming_krw=55_000))
    graph, _, _, call, _ = _pending(fakes)
    nxt = call.say("그럼 요금제도 바꾸고 싶어요")
    assert nxt.insight is not None and nxt.insight.utterance_seq == 1
    assert call_state(graph, "call-1")["processed_seqs"] == [0, 1]


def test_approved_credit_is_issued_once_after_resume() -> None:
    fakes = ports(world("roaming_without_usage", roaming_krw=55_000))
    graph, approvals, context, call, turn = _pending(fakes)
    fakes.approvals.decide(turn.approval_id, approved=True)
    settled = resume_approval(approvals, context, call_id="call-1", approval_id=turn.approval_id)
    assert settled is not None and settled["status"] == "credited"
    assert fakes.ledger.total == 55_000
    assert fakes.approvals.get(turn.approval_id).status == "consumed"
    # A second resume (a retried API call) changes nothing.
    resume_approval(approvals, context, call_id="call-1", approval_id=turn.approval_id)
    assert fakes.ledger.total == 55_000 and len(fakes.ledger.credits) == 1
    # The call's thread learns the outcome on its next event.
    call.say("네 알겠습니다")
    summary = call.end()
    assert summary.dispute.outcome is DisputeOutcome.CREDIT_ISSUED


def test_stale_resume_before_the_decision_does_not_credit() -> None:
    fakes = ports(world("roaming_without_usage", roaming_krw=55_000))
    _, approvals, context, _, turn = _pending(fakes)
    waiting = resume_approval(approvals, context, call_id="call-1", approval_id=turn.approval_id)
    assert waiting is not None and waiting["status"] == "pending"
    assert fakes.ledger.credits == {}
    fakes.approvals.decide(turn.approval_id, approved=False)
    rejected = resume_approval(approvals, context, call_id="call-1", approval_id=turn.approval_id)
    assert rejected is not None and rejected["status"] == "rejected"
    assert fakes.ledger.credits == {}


def test_forged_resume_value_is_ignored() -> None:
    fakes = ports(world("roaming_without_usage", roaming_krw=55_000))
    _, approvals, context, _, turn = _pending(fakes)
    # An approved ticket for some other proposal must not unlock this one.
    other = fakes.approvals.request(call_id="call-9", customer_id="C1",
                                    idempotency_key="credit:C1:OTHER", amount_krw=55_000,
                                    reason="x")
    fakes.approvals.decide(other.approval_id, approved=True)
    from langgraph.types import Command

    config = {"configurable": {"thread_id": approval_thread_id("call-1", turn.approval_id)}}
    approvals.invoke(Command(resume={"approval_id": other.approval_id, "approved": True}), config,
                 context=context)
    assert fakes.ledger.credits == {}
    assert approvals.get_state(config).interrupts  # still waiting on its own ticket
    assert any(e["action"] == "resume_mismatch" for e in fakes.audit.entries)


def test_unknown_approval_is_refused() -> None:
    fakes = ports(world("roaming_without_usage", roaming_krw=55_000))
    _, approvals, context, _, _ = _pending(fakes)
    assert resume_approval(approvals, context, call_id="call-1", approval_id="ap-999") is None
    assert fakes.ledger.credits == {}


def test_unclear_evidence_goes_to_approval_even_when_small() -> None:
    w = world("roaming_without_usage")
    fakes = ports(w.model_copy(update={"usage": []}))  # usage feed missing: unclear
    *_, turn = _pending(fakes)
    assert turn.insight.dispute.outcome is DisputeOutcome.PENDING_APPROVAL
    assert fakes.ledger.credits == {}


def _ended_pending(fakes: Ports):  # type: ignore[no-untyped-def]
    graph, approvals, context, call, turn = _pending(fakes)
    summary = call.end()
    assert summary.dispute.outcome is DisputeOutcome.PENDING_APPROVAL
    return graph, approvals, context, turn, summary


def test_an_approval_settled_after_the_end_restates_insight_and_summary() -> None:
    fakes = ports(world("roaming_without_usage", roaming_krw=55_000))
    graph, approvals, context, turn, before = _ended_pending(fakes)
    fakes.approvals.decide(turn.approval_id, approved=True)
    wait = resume_approval(approvals, context, call_id="call-1", approval_id=turn.approval_id)
    assert wait is not None
    views = settle_call(graph, context, call_id="call-1", wait=wait)
    assert views is not None and views.outcome is DisputeOutcome.CREDIT_ISSUED
    (credit,) = fakes.ledger.credits.values()
    insight, summary = views.insight, views.summary
    assert insight is not None and summary is not None
    # The insight of the disputed utterance, a newer rules revision past the model's slot.
    assert insight.utterance_seq == turn.insight.utterance_seq
    assert insight.revision == turn.insight.revision + 2 and insight.source.value == "rules"
    assert insight.message_id != turn.insight.message_id
    assert insight.dispute.outcome is DisputeOutcome.CREDIT_ISSUED
    assert insight.dispute.amount_krw == credit.amount_krw
    assert f"{credit.amount_krw:,}원" in insight.dispute.explanation
    assert "승인을 기다" not in insight.model_dump_json()
    assert summary.revision == before.revision + 2 and summary.message_id != before.message_id
    assert summary.dispute.outcome is DisputeOutcome.CREDIT_ISSUED
    assert f"{credit.amount_krw:,}원 감면이 관리자 승인으로 처리되었습니다" in summary.summary
    assert "기다리고" not in summary.resolution + summary.follow_up
    # The digest is restated too: the headline and tags no longer say it waits.
    assert "승인 대기" in before.tags and "승인 대기" in before.headline
    assert "감면 완료" in summary.tags and "승인 대기" not in summary.headline
    # The call's thread holds the decision: a replay re-sends the same messages.
    assert call_state(graph, "call-1")["summary"]["message_id"] == summary.message_id
    again = settle_call(graph, context, call_id="call-1", wait=wait)
    assert again == views and len(fakes.ledger.credits) == 1


def test_a_rejection_credits_nothing_and_the_views_say_so() -> None:
    fakes = ports(world("roaming_without_usage", roaming_krw=55_000))
    graph, approvals, context, turn, _ = _ended_pending(fakes)
    fakes.approvals.decide(turn.approval_id, approved=False)
    wait = resume_approval(approvals, context, call_id="call-1", approval_id=turn.approval_id)
    assert wait is not None and wait["status"] == "rejected"
    views = settle_call(graph, context, call_id="call-1", wait=wait)
    assert views is not None and fakes.ledger.credits == {}
    assert views.insight is not None and views.summary is not None
    assert views.insight.dispute.outcome is DisputeOutcome.REJECTED
    assert "승인되지 않았습니다" in views.insight.dispute.explanation
    assert views.summary.dispute.outcome is DisputeOutcome.REJECTED
    assert "승인되지 않았습니다" in views.summary.resolution


def test_a_pending_approval_restates_nothing() -> None:
    fakes = ports(world("roaming_without_usage", roaming_krw=55_000))
    graph, approvals, context, turn, before = _ended_pending(fakes)
    wait = resume_approval(approvals, context, call_id="call-1", approval_id=turn.approval_id)
    assert wait is not None and wait["status"] == "pending"
    assert settle_call(graph, context, call_id="call-1", wait=wait) is None
    assert call_state(graph, "call-1")["summary"]["message_id"] == before.message_id


def test_a_decision_seen_first_by_the_next_turn_still_restates_the_insight() -> None:
    fakes = ports(world("roaming_without_usage", roaming_krw=55_000))
    graph, approvals, context, call, turn = _pending(fakes)
    fakes.approvals.decide(turn.approval_id, approved=True)
    wait = resume_approval(approvals, context, call_id="call-1", approval_id=turn.approval_id)
    call.say("네 알겠습니다")  # syncs the dispute before the decision event is handled
    assert wait is not None
    views = settle_call(graph, context, call_id="call-1", wait=wait)
    assert views is not None and views.summary is None  # the call has not ended
    assert views.insight is not None
    assert views.insight.dispute.outcome is DisputeOutcome.CREDIT_ISSUED
    assert call.end().dispute.explanation == views.insight.dispute.explanation
