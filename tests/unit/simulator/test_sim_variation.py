"""The per-call variation layer: seeded, rates in band, PII truth exact, mood and level kept."""

from __future__ import annotations

import re
from datetime import date

import pytest

from services.schemas import Speaker
from simulator import ScenarioMix, ScriptedCall, SyntheticWorld, generate_calls, generate_world
from simulator.endings import to_casual, to_formal
from simulator.korean import digits_spoken, number_to_hangul
from simulator.variation import complaint_phrases
from simulator.variation_stats import call_features, variation_rates

_OFF = ScenarioMix(short_call_rate=0, long_call_rate=0, formal_rate=0, hesitation_rate=0,
                   correction_rate=0, angry_rate=0, calm_remark_rate=0, card_rate=0)  # fmt: skip
_FORMAL_END = re.compile(r"(니다|니까|십시오)[.?!]")


@pytest.fixture(scope="module")
def world() -> SyntheticWorld:
    return generate_world(seed=11, customers=300, today=date(2025, 6, 15))


@pytest.fixture(scope="module")
def calls(world: SyntheticWorld) -> list[ScriptedCall]:
    return generate_calls(world, seed=5, n=1000)


def test_same_seed_same_variation(world: SyntheticWorld, calls: list[ScriptedCall]) -> None:
    again = generate_calls(world, seed=5, n=len(calls))
    assert [c.model_dump() for c in again] == [c.model_dump() for c in calls]
    first = generate_calls(world, seed=6, n=40)
    assert [c.model_dump() for c in first] == [c.model_dump() for c in
                                               generate_calls(world, seed=6, n=40)]  # fmt: skip
    assert [c.truth.model_dump() for c in first] != [c.truth.model_dump() for c in calls[:40]]


def test_variation_leaves_the_base_draws_alone(world: SyntheticWorld) -> None:
    varied = generate_calls(world, seed=5, n=200)
    plain = generate_calls(world, seed=5, n=200, mix=_OFF)
    for a, b in zip(varied, plain, strict=True):
        assert (a.scenario, a.customer_id) == (b.scenario, b.customer_id)
        assert a.truth.expected_intents == b.truth.expected_intents
        assert a.truth.expected_dispute == b.truth.expected_dispute
        assert a.truth.churn_expected == b.truth.churn_expected
        raised = [(t.intent, t.text) for t in a.turns if t.intent is not None]
        assert [i for i, _ in raised] == a.truth.expected_intents
    assert sum(a.turns != b.turns for a, b in zip(varied, plain, strict=True)) > 150


def test_rates_within_band(calls: list[ScriptedCall]) -> None:
    rates = variation_rates(calls)
    bands = {
        "filler": (0.6, 0.9), "hesitation": (0.25, 0.45), "self_correction": (0.06, 0.2),
        "angry": (0.15, 0.35), "formal": (0.08, 0.2), "casual": (0.1, 0.2),
        "short_4_6": (0.12, 0.24), "long_14_20": (0.15, 0.25), "vague_opening": (0.05, 0.14),
        "multi_intent": (0.05, 0.15), "hangul_amount": (0.03, 0.15),
        "hangul_digits": (0.05, 0.2), "pii_said": (0.35, 0.55), "card_or_account": (0.01, 0.05),
        "competitor": (0.05, 0.2), "loanword": (0.35, 0.7),
    }  # fmt: skip
    for name, (low, high) in bands.items():
        assert low <= rates[name] <= high, (name, rates[name])
    assert rates["complaint_phrase"] == rates["angry"]


def test_lengths_match_the_truth(calls: list[ScriptedCall]) -> None:
    span = {"short": (4, 6), "normal": (6, 14), "long": (14, 20)}
    for call in calls:
        low, high = span[call.truth.length]
        assert low <= len(call.turns) <= high, (call.call_id, call.truth.length, len(call.turns))
        assert call.turns[0].speaker is Speaker.AGENT
        speakers = [t.speaker for t in call.turns]
        assert all(a is not b for a, b in zip(speakers, speakers[1:], strict=False)), call.call_id


def _birth_forms(born: date) -> set[str]:
    month = {6: "유월", 10: "시월"}.get(born.month, number_to_hangul(born.month) + "월")
    yy = number_to_hangul(born.year % 100) if born.year % 100 else "공공"
    return {born.strftime("%y%m%d"), f"{born.year}년 {born.month}월 {born.day}일",
            f"{yy} 년 {month} {number_to_hangul(born.day)}일"}  # fmt: skip


def test_pii_truth_is_what_was_said(world: SyntheticWorld, calls: list[ScriptedCall]) -> None:
    kinds = set()
    for call in calls:
        customer = world.customer(call.customer_id)
        recorded = {(p.seq, p.kind) for p in call.truth.pii}
        for planted in call.truth.pii:
            kinds.add(planted.kind)
            assert planted.said in call.turns[planted.seq].text, (call.call_id, planted)
            if planted.kind == "name":
                assert planted.said == customer.name
            elif planted.kind == "phone":
                assert planted.said in (customer.phone, digits_spoken(customer.phone))
            elif planted.kind == "birth_date":
                assert planted.said in _birth_forms(world.birth_dates[call.customer_id])
            else:
                digits = r"[\d공일이삼사오육칠팔구]+"
                assert re.fullmatch(rf"{digits}(?:[- ]{digits})+", planted.said), planted
        for seq, turn in enumerate(call.turns):  # every turn that says them is recorded
            if customer.name in turn.text and f"상담원 {customer.name}" not in turn.text:
                assert (seq, "name") in recorded, (call.call_id, seq)
            if customer.phone in turn.text or digits_spoken(customer.phone) in turn.text:
                assert (seq, "phone") in recorded, (call.call_id, seq)
    assert kinds == {"name", "phone", "birth_date", "card", "account"}


def test_mood_matches_the_complaints(calls: list[ScriptedCall]) -> None:
    for call in calls:
        said = " ".join(t.text for t in call.customer_turns())
        complains = any(p in said for p in complaint_phrases(call.truth.speech_level))
        assert complains == (call.truth.mood == "angry"), call.call_id
    assert {c.truth.mood for c in calls} == {"angry", "calm"}


def test_speech_levels(calls: list[ScriptedCall]) -> None:
    formal = [c for c in calls if c.truth.speech_level == "formal"]
    assert formal and all(
        any(_FORMAL_END.search(t.text) for t in c.customer_turns()) for c in formal
    )
    polite = [c for c in calls if c.truth.speech_level == "polite"]
    assert all(not call_features(c)["formal"] for c in polite)
    for call in calls:  # the agent never drops to 반말
        assert not any(
            t.text.endswith(("해 줘.", "알았어.", "고마워.")) for t in call.turns
            if t.speaker is Speaker.AGENT
        )  # fmt: skip


def test_endings() -> None:
    assert to_formal("요금제를 바꾸고 싶어요.") == "요금제를 바꾸고 싶습니다."
    assert to_formal("확인 좀 해 주세요.") == "확인 좀 해 주십시오."
    assert to_formal("지금 바꿀 수 있나요?") == "지금 바꿀 수 있습니까?"
    assert to_formal("생각해 볼게요. 보고 결정할게요.") == "생각해 보겠습니다. 보고 결정하겠습니다."
    assert to_formal("이게 말이 돼요?") == "이게 말이 됩니까?"
    assert to_formal("제 번호예요.") == "제 번호입니다."
    assert to_formal("김유나요.") == "김유나요."  # a name is no ending
    assert to_casual("확인 좀 해 주세요.") == "확인 좀 해 줘."
    assert to_casual("알겠어요. 감사합니다.") == "알겠어. 고마워."
    assert to_casual("얼마예요?") == "얼마야?"
