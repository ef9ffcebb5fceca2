"""One small function per graph node; routers return the next node's name."""

from agents.graph.nodes.act import act, draft_explanation, explain
from agents.graph.nodes.answer import answer, retain
from agents.graph.nodes.approval import sync_approvals
from agents.graph.nodes.churn import assess_churn
from agents.graph.nodes.dispute import decide, extract_claim, investigate, policy_claim
from agents.graph.nodes.emit import decision_of, emit, message_id_for
from agents.graph.nodes.handoff import hand_off
from agents.graph.nodes.ingest import next_turn, normalize_text, redact_pii, skip_duplicate
from agents.graph.nodes.intent import classify_intent, route_intent, route_speaker
from agents.graph.nodes.phishing import screen_phishing
from agents.graph.nodes.start import UNKNOWN_CUSTOMER, start_call
from agents.graph.nodes.summarize import summarize

__all__ = [
    "UNKNOWN_CUSTOMER",
    "act",
    "answer",
    "assess_churn",
    "classify_intent",
    "decide",
    "decision_of",
    "draft_explanation",
    "emit",
    "explain",
    "hand_off",
    "extract_claim",
    "investigate",
    "message_id_for",
    "normalize_text",
    "policy_claim",
    "redact_pii",
    "retain",
    "route_intent",
    "route_speaker",
    "screen_phishing",
    "next_turn",
    "skip_duplicate",
    "start_call",
    "summarize",
    "sync_approvals",
]
