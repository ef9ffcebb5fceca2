"""Claim rules on ASR-style text: keywords merged across a space, spoken months and dates."""

from __future__ import annotations

from datetime import date

import pytest

from agents.korean import normalize
from agents.policies.claims import extract_claim_rules, parse_amount, parse_period
from agents.policies.disputes import DisputeClaim, DisputeRule
from services.schemas import ChargeKind

TODAY = date(2025, 11, 20)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("요금제 바꾼달 요금이 왜 이렇게 많이 나와", ChargeKind.PRORATION),
        ("부가서비스 스팸차단이 붙어 있어요", ChargeKind.VALUE_ADDED_SERVICE),
        ("데이터초과 요금이 나왔어요", ChargeKind.DATA_OVERAGE),
        ("소액결제가 이상해요", ChargeKind.MICROPAYMENT),
    ],
)
def test_charge_words_match_without_their_space(text: str, kind: ChargeKind) -> None:
    claim = extract_claim_rules(text, today=TODAY)
    assert claim is not None and claim.charge_kind is kind


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("해외에안 갔는데 로밍 요금이 나왔어요", DisputeRule.ROAMING_WITHOUT_USAGE),
        ("컬러링 가입한적 없어요", DisputeRule.VAS_WITHOUT_CONSENT),
        ("할부금이 두번이나 빠져나갔어요", DisputeRule.DUPLICATE_CHARGE),
    ],
)
def test_hints_match_without_their_space(text: str, hint: DisputeRule) -> None:
    claim = extract_claim_rules(text, today=TODAY)
    assert claim is not None and claim.anomaly_hint is hint and claim.contested


def test_contested_and_relative_months_match_merged() -> None:
    claim = extract_claim_rules("지지난달 요금이 잘못청구됐어요", today=TODAY)
    assert claim == DisputeClaim(period="2025-09", contested=True)
    assert parse_period("두달전 거요", today=TODAY) == "2025-09"


def test_a_space_is_never_required_where_the_keyword_has_none() -> None:
    # "일할" (proration) must not be read into "일 할 때" (while working).
    assert extract_claim_rules("회사에서 일 할 때 전화가 끊겨요", today=TODAY) is None


@pytest.mark.parametrize(
    ("heard", "period"),
    [
        ("브이컬러링 그거 가입한 적 없는 데 구 월에 왜 돈이 나가", "2025-09"),
        ("부가서비스 스팸 차단 플러스가 팔 월 월 요금에 붙어 있는데", "2025-08"),
        ("십월요금에 단말기 할부금이 두 번이나 빠져나갔어요", "2025-10"),
    ],
)
def test_spoken_months_name_the_period(heard: str, period: str) -> None:
    assert parse_period(normalize(heard), today=TODAY) == period


def test_a_spoken_birth_date_names_no_period() -> None:
    # The identity answer must not move the disputed month to the birth month.
    assert parse_period(normalize("네 김윤서요 천구백구십오 년 구월 육 일이요"),
                        today=TODAY) is None


@pytest.mark.parametrize(
    ("text", "won"),
    [
        ("55 000원이 더 나왔어요", 55000),  # thousands grouped by a space
        ("1 234 500원 청구됐어요", 1234500),
        ("61,000원이요", 61000),
        ("3300원 환불해 주세요", 3300),
        ("요금 3 5000원", 5000),  # "3" is not a thousands group of 5000
    ],
)
def test_amounts_with_grouped_thousands(text: str, won: int) -> None:
    assert parse_amount(text) == won
