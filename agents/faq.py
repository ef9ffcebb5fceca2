"""A small Korean policy/FAQ table and retrieval over it (character-bigram overlap).

Answers are keyed by intent; retrieval picks the best passage of the intent's documents,
or of all documents when the intent is `other`. Small enough to read in review; a vector
store can replace `retrieve` without touching the graph.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.domain import Intent

__all__ = ["FAQ", "FaqEntry", "answer_for", "retrieve"]


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One policy passage."""

    key: str
    intent: Intent
    question: str
    answer: str


FAQ: tuple[FaqEntry, ...] = (
    FaqEntry("bill-breakdown", Intent.BILLING_INQUIRY, "이번 달 요금 내역이 궁금해요",
             "요금 내역은 앱의 '요금 조회'에서 항목별로 보실 수 있어요. 기본료, 부가서비스, "
             "소액결제, 단말기 할부금이 나뉘어 표시돼요."),
    FaqEntry("payment-method", Intent.PAYMENT, "납부 방법을 바꾸고 싶어요",
             "자동이체, 신용카드 자동납부, 가상계좌로 납부하실 수 있어요. 변경은 앱의 '납부 방법 "
             "변경'에서 바로 하실 수 있어요."),
    FaqEntry("payment-late", Intent.PAYMENT, "요금을 못 냈어요 연체되면 어떻게 되나요",
             "납부일이 지나면 미납 안내가 발송되고, 두 달 이상 미납 시 이용이 정지될 수 있어요. "
             "즉시 납부는 앱의 '즉시 납부'에서 하실 수 있어요."),
    FaqEntry("plan-change", Intent.PLAN_CHANGE, "요금제를 바꾸고 싶어요",
             "요금제는 한 달에 한 번 변경하실 수 있고, 변경한 달은 일할 계산돼요. 사용량에 맞는 "
             "요금제를 추천해 드릴 수 있어요."),
    FaqEntry("cancel", Intent.CANCELLATION, "해지하려면 어떻게 하나요",
             "해지는 본인 확인 후 처리돼요. 약정 기간 중 해지하시면 할인반환금(위약금)이 생길 수 "
             "있어서, 먼저 예상 금액을 확인해 드릴게요."),
    FaqEntry("port-out", Intent.PORT_OUT, "다른 통신사로 번호이동하고 싶어요",
             "번호이동은 옮기실 통신사에서 신청하시면 돼요. 약정이 남아 있으면 할인반환금과 "
             "남은 단말기 할부금이 한 번에 청구될 수 있어요."),
    FaqEntry("contract", Intent.CONTRACT_DISCOUNT, "선택약정 할인을 받고 싶어요",
             "선택약정은 12개월이나 24개월 약정으로 월 요금의 25%를 할인받는 제도예요. 약정 만료 "
             "전후에 재약정하실 수 있어요."),
    FaqEntry("roaming", Intent.ROAMING, "해외에서 데이터를 쓰려면요",
             "출국 전에 로밍 요금제(데이터 패스)에 가입하시면 하루 정액으로 쓰실 수 있어요. "
             "가입하지 않으면 사용량만큼 요금이 나와요."),
    FaqEntry("data", Intent.DATA_USAGE, "데이터 잔여량이 궁금해요",
             "남은 데이터는 앱 첫 화면에서 확인하실 수 있어요. 다 쓰시면 속도 제한이 걸리거나 "
             "데이터 충전을 하실 수 있어요."),
    FaqEntry("device", Intent.DEVICE, "휴대폰이 고장 났어요",
             "가까운 서비스센터에서 점검받으실 수 있어요. 분실·파손 보험에 가입하셨다면 보험 "
             "청구도 도와드릴게요."),
    FaqEntry("network", Intent.NETWORK_QUALITY, "전화가 자주 끊기고 인터넷이 느려요",
             "불편을 드려 죄송해요. 계신 지역의 기지국 상태를 확인하고 품질 점검을 접수해 "
             "드릴게요. 단말기 재부팅도 한 번 해 주세요."),
    FaqEntry("vas", Intent.VALUE_ADDED_SERVICE, "부가서비스를 해지하고 싶어요",
             "가입된 부가서비스는 앱의 '부가서비스 관리'에서 확인하고 바로 해지하실 수 있어요."),
    FaqEntry("micropayment", Intent.MICROPAYMENT, "소액결제 한도를 바꾸거나 막고 싶어요",
             "소액결제 한도 변경과 차단은 앱의 '소액결제 관리'에서 하실 수 있어요. 모르는 "
             "결제는 결제 대행사에 취소를 요청하실 수 있어요."),
    FaqEntry("account", Intent.ACCOUNT_CHANGE, "명의나 주소를 바꾸고 싶어요",
             "주소와 연락처는 앱에서 바로 바꾸실 수 있고, 명의 변경은 본인 확인 서류가 필요해 "
             "대리점이나 고객센터에서 도와드려요."),
    FaqEntry("billing-dispute", Intent.BILLING_DISPUTE, "요금이 잘못 나온 것 같아요",
             "청구 내역을 확인해 보고, 잘못 청구된 금액은 다음 달 요금에서 감면해 드려요."),
)


def _bigrams(text: str) -> set[str]:
    compact = "".join(text.split())
    return {compact[i : i + 2] for i in range(len(compact) - 1)}


def retrieve(text: str, *, intent: Intent | None, k: int = 2) -> list[FaqEntry]:
    """The k passages most like `text`, from the intent's entries when it has any."""
    pool = [entry for entry in FAQ if entry.intent == intent] or list(FAQ)
    query = _bigrams(text)

    def overlap(entry: FaqEntry) -> float:
        doc = _bigrams(entry.question + " " + entry.answer)
        return len(query & doc) / (len(query | doc) or 1)

    return sorted(pool, key=overlap, reverse=True)[:k]


def answer_for(text: str, *, intent: Intent) -> FaqEntry | None:
    """The best passage for an intent (None for `other` with no overlap at all)."""
    found = retrieve(text, intent=intent, k=1)
    if not found:
        return None
    if intent is Intent.OTHER and not (_bigrams(text) & _bigrams(found[0].question)):
        return None
    return found[0]
