"""Korean labels a summary names things by: intents, dispute rules, and the 을/를 choice."""

from __future__ import annotations

from agents.domain import Intent

__all__ = ["INTENT_LABELS", "RULE_LABELS", "object_particle"]

INTENT_LABELS: dict[Intent, str] = {
    Intent.BILLING_DISPUTE: "청구 이의",
    Intent.BILLING_INQUIRY: "요금 문의",
    Intent.PAYMENT: "납부",
    Intent.PLAN_CHANGE: "요금제 변경",
    Intent.CANCELLATION: "해지",
    Intent.PORT_OUT: "번호이동",
    Intent.CONTRACT_DISCOUNT: "약정 할인",
    Intent.ROAMING: "로밍",
    Intent.DATA_USAGE: "데이터 사용량",
    Intent.DEVICE: "단말기",
    Intent.NETWORK_QUALITY: "통화 품질",
    Intent.VALUE_ADDED_SERVICE: "부가서비스",
    Intent.MICROPAYMENT: "소액결제",
    Intent.ACCOUNT_CHANGE: "정보 변경",
    Intent.OTHER: "기타 문의",
}
RULE_LABELS: dict[str, str] = {
    "duplicate_charge": "중복 청구",
    "roaming_without_usage": "로밍 미사용 청구",
    "vas_without_consent": "미동의 부가서비스 청구",
    "overage_on_unlimited": "무제한 요금제 초과 청구",
    "proration_error": "일할 계산 오류",
    "valid_charge": "정상 청구",
    "no_invoice": "청구서 없음",
}


def object_particle(word: str) -> str:
    """을 after a final consonant (받침), 를 after a vowel."""
    last = word[-1:]
    if "가" <= last <= "힣":
        return "을" if (ord(last) - ord("가")) % 28 else "를"
    return "을(를)"
