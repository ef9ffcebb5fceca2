"""What a supervisor's settled decision does to a call's dispute: outcome and explanation.

Pure functions over state values. Both the call thread's own catch-up (the call graph's
`sync_approvals`, on its next event) and `settle_call` after an ApprovalDecided use them,
so the outcome and the polite Korean explanation are the same whichever comes first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.domain import DisputeOutcome
from agents.summary import RULE_LABELS

if TYPE_CHECKING:  # a type only: agents.graph imports this module (see agents.approvals)
    from agents.graph.state import DisputeState

__all__ = ["SETTLED_STATUSES", "settled_dispute", "settled_explanation"]

# An approval thread's final status (agents.approvals.nodes.settle_approval) or a ticket's
# stored status -> what the dispute becomes. Anything else (still pending, an invalid
# ticket, a credit the tools refused) leaves the dispute waiting.
SETTLED_STATUSES: dict[str, DisputeOutcome] = {
    "credited": DisputeOutcome.CREDIT_ISSUED,
    "consumed": DisputeOutcome.CREDIT_ISSUED,
    "rejected": DisputeOutcome.REJECTED,
}


def settled_explanation(*, rule: str, amount_krw: int, outcome: DisputeOutcome) -> str:
    """The customer-facing explanation of a supervisor's decision (하십시오체)."""
    label = RULE_LABELS.get(rule, rule)
    if outcome is DisputeOutcome.CREDIT_ISSUED:
        return (f"{label}로 확인된 {amount_krw:,}원 감면이 담당 관리자 승인으로 처리되었습니다. "
                "다음 달 요금에 반영됩니다.")
    return (f"요청하신 {label} {amount_krw:,}원 감면은 담당 관리자 검토 결과 승인되지 "
            "않았습니다. 자세한 사유는 상담원이 안내해 드리겠습니다.")


def settled_dispute(dispute: DisputeState, outcome: DisputeOutcome) -> DisputeState:
    """The dispute after the decision; the amount stays the one the supervisor saw."""
    return {**dispute, "outcome": outcome.value,
            "explanation": settled_explanation(rule=dispute["rule"],
                                               amount_krw=dispute["amount_krw"], outcome=outcome)}
