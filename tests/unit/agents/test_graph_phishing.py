"""The graph's screen_phishing node: one alert per call, its evidence, the guardian notice."""

from __future__ import annotations

from langgraph.checkpoint.memory import InMemorySaver

from agents.graph import build_graph, call_state
from services.schemas import GuardianAlert, PhishingAlert
from tests.unit.agents.fakes import CallDriver, ports, world

SCAM = [
    ("agent", "여보세요, 고객님 본인 되시죠?"),
    ("customer", "네, 그런데요. 누구세요?"),
    ("agent", "서울중앙지검 수사관입니다. 고객님 명의 통장이 범죄에 연루되어 연락드렸습니다."),
    ("customer", "네? 저는 그런 적이 없는데요."),
    ("agent", "지금 바로 안전계좌로 옮기셔야 합니다. 아무한테도 말씀하시면 안 됩니다."),
    ("customer", "네, 알겠습니다."),
]


def _run(lines: list[tuple[str, str]], **settings: object) -> tuple[CallDriver, list[object]]:
    call = CallDriver(build_graph(InMemorySaver()), ports(world(None)).context(**settings))
    return call, [call.say(text, speaker=speaker) for speaker, text in lines]


def test_the_alert_comes_once_with_the_utterance_that_crosses_the_threshold() -> None:
    call, turns = _run(SCAM)
    alerts = [(seq, a) for seq, t in enumerate(turns) for a in t.alerts]  # type: ignore[attr-defined]
    assert len(alerts) == 1
    seq, alert = alerts[0]
    assert isinstance(alert, PhishingAlert) and alert.utterance_seq == seq
    assert seq == 2  # the prosecutor's story, the first scam cue of the script
    assert alert.score >= alert.threshold
    signals = {e.signal for e in alert.evidence}
    assert {"authority_impersonation", "crime_story"} <= signals
    text = SCAM[2][1]
    for evidence in alert.evidence:
        assert text[evidence.start:evidence.end] == evidence.text
    assert "보이스피싱" in alert.advice
    state = call_state(call.graph, "call-1")
    assert state["phishing_alert"] is not None and state["phishing_score"] >= alert.score
    # later evidence still accumulates in state, but no second alert goes out
    assert "safe_account" in {c["signal"] for c in state["phishing_cues"]}


def test_a_redelivered_utterance_re_emits_the_same_alert() -> None:
    call, turns = _run(SCAM[:3])
    first = turns[2].alerts  # type: ignore[attr-defined]
    again = call.redeliver(2).alerts
    assert [a.message_id for a in again] == [a.message_id for a in first]
    assert len(first) == 1


def test_a_registered_guardian_gets_a_notice_without_pii() -> None:
    _, turns = _run(SCAM[:3], phishing_guardians={"C1": "guardian-77"})
    alerts = turns[2].alerts  # type: ignore[attr-defined]
    guardian = next(a for a in alerts if isinstance(a, GuardianAlert))
    phishing = next(a for a in alerts if isinstance(a, PhishingAlert))
    assert guardian.guardian_id == "guardian-77" and guardian.customer_id == "C1"
    assert guardian.alert_id == phishing.message_id
    assert "보이스피싱" in guardian.message


def test_a_normal_call_raises_no_alert() -> None:
    _, turns = _run([("agent", "감사합니다, 고객님. 무엇을 도와드릴까요?"),
                     ("customer", "요금 미납 문자 왔던데 지금 바로 낼게요."),
                     ("agent", "네, 가상계좌로 입금하시면 됩니다."),
                     ("customer", "비밀번호가 기억이 안 나요, 초기화해 주세요.")])
    assert all(not t.alerts for t in turns)  # type: ignore[attr-defined]
