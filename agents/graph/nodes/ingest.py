"""Nodes: redact PII again (defence in depth) and normalize Korean numbers, money, dates."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agents.graph.context import AgentContext
from agents.graph.nodes._common import note
from agents.graph.state import CallState, SeenUtterance
from agents.korean import normalize, redact


def redact_pii(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Start a turn: re-redact the text (entries redact first; this checks again)."""
    event = state.get("event", {})
    seq = int(event.get("seq", -1))
    speaker = event.get("speaker", "customer")
    redaction = redact(event.get("text", ""))
    update: CallState = {
        "duplicate": False, "seq": seq, "speaker": speaker, "text": redaction.text,
        "normalized": redaction.text,
        "intent": "other", "intent_confidence": 0.0, "intent_tier": "fast", "claim": None,
        "evidence": None, "verdict": None, "dispute": None, "answer": None, "assist": [],
        "utterances": [SeenUtterance(seq=seq, speaker=speaker, text=redaction.text,
                                     identifiers=list(event.get("identifiers", [])))],
    }
    if redaction.spans:
        kinds = sorted({str(span.kind) for span in redaction.spans})
        # The entry should have caught these; record it (kinds only, never the values).
        runtime.context.audit.record(call_id=state.get("call_id", ""), actor="node:redact_pii",
                                     action="late_redaction", detail={"seq": seq, "kinds": kinds})
        update["actions"] = [note({**state, "seq": seq}, "redact_pii",
                                  "pii_redacted:" + ",".join(kinds))]
    return update


def normalize_text(state: CallState) -> CallState:
    """Write spoken numbers, money and dates as digits for the rules downstream."""
    return {"normalized": normalize(state.get("text", ""))}


def skip_duplicate(state: CallState) -> CallState:
    """A redelivered utterance: change nothing but say so (its insight is re-emitted)."""
    if state.get("queue") is None:
        return {"duplicate": True}
    seq = int(state.get("event", {}).get("seq", -1))  # a run over several turns: note which
    return {"duplicate": True, "batch_duplicates": [*state.get("batch_duplicates", []), seq]}


def next_turn(state: CallState) -> CallState:
    """Take the next queued turn of a run over several turns as the event."""
    queue = list(state.get("queue") or [])
    return {"event": queue[0], "queue": queue[1:]}
