"""Node: update the live churn score from every customer utterance."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agents.domain import DisputeOutcome, Intent
from agents.graph.context import AgentContext
from agents.graph.nodes._common import note
from agents.graph.state import CallState, ChurnHitState
from agents.policies.churn import SignalHit, detect_signals, score_churn
from agents.policies.retention import choose_offer

_UNRESOLVED = frozenset({DisputeOutcome.PENDING_APPROVAL, DisputeOutcome.REJECTED,
                         DisputeOutcome.NO_INVOICE})


def assess_churn(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Score the call so far; flag it past the threshold and propose one retention offer."""
    seq = state.get("seq", -1)
    intent = Intent(state.get("intent", Intent.OTHER.value))
    found = detect_signals(state.get("normalized", ""), intent=intent, seq=seq)
    hits = [SignalHit(h["name"], h["seq"], h["evidence"]) for h in state.get("churn_hits", [])]
    unresolved = any(d["outcome"] in _UNRESOLVED for d in state.get("disputes", []))
    assessment = score_churn([*hits, *found], unresolved_dispute=unresolved)
    flagged = assessment.score >= runtime.context.limits.churn_flag_threshold
    update: CallState = {
        "churn_hits": [ChurnHitState(name=h.name, seq=h.seq, evidence=h.evidence) for h in found],
        "churn_score": assessment.score,
        "churn_flagged": flagged or bool(state.get("churn_flagged")),
        "churn_signals": [s.model_dump() for s in assessment.signals],
    }
    if flagged and not state.get("retention_offer"):
        offer = choose_offer({s.name for s in assessment.signals})
        update["retention_offer"] = offer.code
        update["assist"] = [*state.get("assist", []), f"혜택 제안({offer.title}): {offer.script}"]
        update["actions"] = [note(state, "assess_churn", f"retention_offer:{offer.code}")]
    return update
