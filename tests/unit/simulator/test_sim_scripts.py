"""Scripted calls: coverage, ground truth consistent with the world, Korean, deterministic."""

from __future__ import annotations

import re
from datetime import date

import pytest

from services.schemas import DisputeOutcome, Intent, Speaker
from simulator import (
    SCENARIO_INTENT,
    Scenario,
    ScriptedCall,
    SyntheticWorld,
    generate_calls,
    generate_world,
    training_utterances,
)
from simulator.korean import KoreanFormatter, digits_spoken, number_to_hangul, won_spoken

HANGUL = re.compile(r"[가-힣]")
LIMIT = 30_000


@pytest.fixture(scope="module")
def world() -> SyntheticWorld:
    return generate_world(seed=3, customers=60, today=date(2025, 6, 15))


@pytest.fixture(scope="module")
def calls(world: SyntheticWorld) -> list[ScriptedCall]:
    return generate_calls(world, seed=9, n=120, auto_credit_limit_krw=LIMIT)


def test_every_scenario_appears(world: SyntheticWorld, calls: list[ScriptedCall]) -> None:
    assert {c.scenario for c in calls} == set(Scenario)
    small = generate_calls(world, seed=1, n=len(Scenario))
    assert {c.scenario for c in small} == set(Scenario)


def test_same_seed_same_calls(world: SyntheticWorld) -> None:
    a = generate_calls(world, seed=4, n=25)
    b = generate_calls(world, seed=4, n=25)
    assert [c.model_dump() for c in a] == [c.model_dump() for c in b]
    assert [c.model_dump() for c in a] != [
        c.model_dump() for c in generate_calls(world, seed=5, n=25)
    ]


def test_turns_are_korean_and_well_formed(calls: list[ScriptedCall]) -> None:
    for call in calls:
        assert 4 <= len(call.turns) <= 20
        assert call.turns[0].speaker is Speaker.AGENT
        assert all(HANGUL.search(t.text) for t in call.turns)
        assert all("{" not in t.text and "}" not in t.text for t in call.turns)
        first = next(t for t in call.turns if t.intent is not None)
        assert first.intent is call.truth.primary_intent
        assert call.turns.index(first) in (1, 3), "the intent comes first or right after a prompt"
        raised = [t.intent for t in call.turns if t.intent is not None]
        assert raised == call.truth.expected_intents


def test_truth_matches_scenario(calls: list[ScriptedCall]) -> None:
    for call in calls:
        assert call.truth.primary_intent is SCENARIO_INTENT[call.scenario]
        assert call.truth.expected_intents[0] is call.truth.primary_intent
        churn_intents = {Intent.CANCELLATION, Intent.PORT_OUT}
        assert call.truth.churn_expected == bool(churn_intents & set(call.truth.expected_intents))
        assert (call.truth.expected_dispute is not None) == (
            call.scenario is Scenario.BILLING_DISPUTE
        )
    assert any(len(c.truth.expected_intents) == 2 for c in calls), "some calls are multi-intent"
    assert any(c.turns[1].intent is None for c in calls), "some callers open vaguely"


def test_disputes_agree_with_world(world: SyntheticWorld, calls: list[ScriptedCall]) -> None:
    outcomes = set()
    for call in calls:
        expected = call.truth.expected_dispute
        if expected is None:
            continue
        outcomes.add(expected.outcome)
        anomaly = world.anomaly_of(call.customer_id)
        if expected.anomaly_kind is None:
            valid = world.valid_charge_of(call.customer_id)
            assert anomaly is None and valid is not None
            assert expected.outcome is DisputeOutcome.EXPLAINED
            assert expected.expected_credit_krw == 0
            assert expected.invoice_id == valid.invoice_id
        else:
            assert anomaly is not None and anomaly.kind is expected.anomaly_kind
            assert expected.expected_credit_krw == anomaly.expected_credit_krw
            assert expected.invoice_id == anomaly.invoice_id
            want = (
                DisputeOutcome.CREDIT_ISSUED
                if anomaly.expected_credit_krw <= LIMIT and not anomaly.needs_review
                else DisputeOutcome.PENDING_APPROVAL
            )
            assert expected.outcome is want
    assert outcomes == {
        DisputeOutcome.CREDIT_ISSUED,
        DisputeOutcome.PENDING_APPROVAL,
        DisputeOutcome.EXPLAINED,
    }


def test_variation_shows_up(calls: list[ScriptedCall]) -> None:
    text = "\n".join(t.text for c in calls for t in c.customer_turns())
    assert re.search(r"[일이삼사오육칠팔구십백천만]+ 원", text), "amounts spoken in Hangul"
    assert re.search(r"\d{3}-\d{4}-\d{4}|공일공", text), "phone numbers said aloud"
    assert any(name in text for name in ("KT", "LG U+", "엘지 유플러스", "알뜰폰", "케이티"))
    assert any(f in text for f in ("어, ", "음, ", "저기요, "))
    assert any(word in text for word in ("5G", "LTE"))


def test_training_utterances_balanced_and_seeded() -> None:
    data = training_utterances(0, 300)
    assert len(data) == 300
    assert {intent for _, intent in data} == set(Intent)
    assert data == training_utterances(0, 300)
    assert data != training_utterances(1, 300)
    assert all(HANGUL.search(text) and "{" not in text for text, _ in data)


def test_korean_helpers() -> None:
    assert number_to_hangul(32_000) == "삼만 이천"
    assert number_to_hangul(15_000) == "만 오천"
    assert number_to_hangul(1_550_000) == "백오십오만"
    assert won_spoken(3_300, hangul=True) == "삼천삼백 원"
    assert won_spoken(3_300, hangul=False) == "3,300원"
    assert digits_spoken("010-1234-5678") == "공일공 일이삼사 오육칠팔"
    fmt = KoreanFormatter()
    assert fmt.format("{a:이/가} {b:을/를}", a="V컬러링", b="로밍 요금") == "V컬러링이 로밍 요금을"
    assert (
        fmt.format("{a:으로/로} {b:으로/로}", a="5G 슬림", b="LTE 베이직")
        == "5G 슬림으로 LTE 베이직으로"
    )
