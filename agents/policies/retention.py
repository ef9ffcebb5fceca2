"""Retention offers for flagged calls: a small policy table, chosen by the strongest signal."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

__all__ = ["OFFERS", "RetentionOffer", "choose_offer"]


@dataclass(frozen=True, slots=True)
class RetentionOffer:
    """One offer the human agent may make; the value is the most it can cost per month."""

    code: str
    title: str
    script: str
    max_value_krw: int


OFFERS: dict[str, RetentionOffer] = {
    offer.code: offer
    for offer in (
        RetentionOffer("PORTOUT-DEFENSE", "번호이동 방어 혜택",
                       "지금 재약정하시면 선택약정 25% 할인과 함께 6개월간 데이터 쿠폰을 "
                       "드릴 수 있습니다.", 20000),
        RetentionOffer("RECONTRACT-25", "재약정 선택약정 할인",
                       "약정이 곧 끝나십니다. 재약정하시면 월 요금의 25%를 할인해 드립니다.",
                       20000),
        RetentionOffer("PLAN-RIGHTSIZE", "요금제 맞춤 변경",
                       "실제 사용량에 맞는 요금제로 바꾸시면 월 요금을 줄이실 수 있습니다. "
                       "변경 후 3개월간 월 5,000원을 추가로 할인해 드립니다.", 5000),
        RetentionOffer("BILLING-CARE", "청구 오류 우선 처리",
                       "불편을 드려 죄송합니다. 청구 문제를 전담팀이 우선 처리하고, 다음 달 "
                       "요금에서 3,000원을 할인해 드리겠습니다.", 3000),
        RetentionOffer("NETWORK-CARE", "통화 품질 개선 지원",
                       "기지국 점검을 접수하고, 점검 기간 동안 데이터 쿠폰을 드리겠습니다.",
                       3000),
        RetentionOffer("LOYALTY-DATA", "장기 고객 데이터 혜택",
                       "오래 이용해 주셔서 감사합니다. 3개월간 데이터 10GB를 추가로 드립니다.",
                       10000),
    )
}

# Ordered: the first rule whose signal is present picks the offer.
_RULES: tuple[tuple[str, str], ...] = (
    ("port_out_intent", "PORTOUT-DEFENSE"),
    ("competitor_mention", "PORTOUT-DEFENSE"),
    ("contract_ending", "RECONTRACT-25"),
    ("unresolved_dispute", "BILLING-CARE"),
    ("price_complaint", "PLAN-RIGHTSIZE"),
    ("network_complaint", "NETWORK-CARE"),
)


def choose_offer(signal_names: Collection[str]) -> RetentionOffer:
    """The offer for a flagged call, from the strongest matching signal."""
    for signal, code in _RULES:
        if signal in signal_names:
            return OFFERS[code]
    return OFFERS["LOYALTY-DATA"]
