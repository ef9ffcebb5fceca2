"""Node: score every utterance of the call for voice-phishing cues; alert once past the threshold.

It runs right after redact_pii on both speakers' turns: on a call to a subscriber the
other party (the agent channel) says most of the scam, and the customer's echo ("안전계좌요?")
counts too. It reads the redacted text, not the normalized one: normalization runs only on
customer turns, and the cues are words, not numbers. Pure regex work, no model call.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from agents.domain import PhishingEvidence
from agents.graph.context import AgentContext
from agents.graph.nodes._common import note
from agents.graph.nodes.emit import message_id_for
from agents.graph.state import CallState, PhishingCueState
from agents.policies.phishing import CARRY_CHARS, WEIGHTS, Cue, assess_utterance
from services.schemas import GuardianAlert, PhishingAlert

__all__ = ["ADVICE", "GUARDIAN_MESSAGE", "screen_phishing"]

ADVICE = ("보이스피싱이 의심되는 통화입니다. 검찰, 경찰, 금융감독원과 은행은 전화로 계좌 이체나 "
          "앱 설치, 카드 번호나 OTP 번호를 요구하지 않습니다. 통화를 끊고 112나 1332에 "
          "확인해 주십시오.")
GUARDIAN_MESSAGE = ("보호자로 등록하신 분이 지금 보이스피싱이 의심되는 전화를 받고 계십니다. "
                    "바로 연락하셔서 송금이나 앱 설치를 멈추도록 도와주십시오.")


def screen_phishing(state: CallState, runtime: Runtime[AgentContext]) -> CallState:
    """Add this utterance's cues to the call's evidence; build the alert when it first crosses."""
    seq, text = state.get("seq", -1), state.get("text", "")
    known = [Cue(**c) for c in state.get("phishing_cues", [])]
    assessment = assess_utterance(text, seq=seq, evidence=known,
                                  carry=state.get("phishing_carry", ""))
    update: CallState = {"phishing_score": assessment.score,
                         "phishing_carry": text[-CARRY_CHARS:]}
    if assessment.new:
        update["phishing_cues"] = [*state.get("phishing_cues", []),
                                   *(PhishingCueState(signal=c.signal, seq=c.seq, start=c.start,
                                                      end=c.end, text=c.text)
                                     for c in assessment.new)]
    limits = runtime.context.limits
    if (state.get("phishing_alert") or seq < 0
            or assessment.score < limits.phishing_alert_threshold):
        return update
    call_id, customer_id = state.get("call_id", ""), state.get("customer_id")
    alert = PhishingAlert(
        message_id=message_id_for(call_id, f"phishing:{seq}"), call_id=call_id,
        occurred_at=runtime.context.clock.now(), utterance_seq=seq, customer_id=customer_id,
        score=assessment.score, threshold=limits.phishing_alert_threshold, advice=ADVICE,
        evidence=[PhishingEvidence(signal=c.signal, utterance_seq=max(0, c.seq), start=c.start,
                                   end=c.end, text=c.text[:200],
                                   weight=WEIGHTS.get(c.signal, 0.0))
                  for c in assessment.evidence],
    )
    update["phishing_alert"] = alert.model_dump(mode="json")
    update["actions"] = [note(state, "screen_phishing", f"phishing_alert:{assessment.score}")]
    guardian_id = limits.phishing_guardians.get(customer_id or "")
    if guardian_id:
        update["guardian_alert"] = GuardianAlert(
            message_id=message_id_for(call_id, f"guardian:{seq}"), call_id=call_id,
            occurred_at=alert.occurred_at, alert_id=alert.message_id,
            customer_id=customer_id or "", guardian_id=guardian_id, utterance_seq=seq,
            score=assessment.score, message=GUARDIAN_MESSAGE,
        ).model_dump(mode="json")
    return update
