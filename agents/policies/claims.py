"""Rule-based claim extraction: which month, which charge, how much, and what looks wrong.

Runs on redacted, normalized Korean text (spoken numbers already digits). Keyword tables
are ordered by specificity; the LLM is asked only when these rules find nothing.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from agents.domain import ChargeKind
from agents.policies.disputes import DisputeClaim, DisputeRule

__all__ = [
    "extract_claim_rules",
    "is_specific",
    "merge_claims",
    "names_the_charge",
    "parse_amount",
    "parse_period",
    "states_a_wrong_charge",
]

_CHARGE_WORDS: tuple[tuple[ChargeKind, tuple[str, ...]], ...] = (
    (ChargeKind.ROAMING, ("로밍", "해외 데이터", "해외에서")),
    (ChargeKind.VALUE_ADDED_SERVICE, ("부가서비스", "부가 서비스", "컬러링", "보험", "뮤직",
                                      "음악", "스팸차단", "스팸 차단")),
    (ChargeKind.PRORATION, ("일할", "중간에 요금제", "중간에 바꾼", "변경한 달", "바꾼 달",
                            "요금제 바꿨", "요금제를 바꿨", "요금제 변경했", "요금제를 변경했")),
    (ChargeKind.DATA_OVERAGE, ("데이터 초과", "초과 요금", "초과요금", "추가 데이터",
                               "데이터 요금")),
    (ChargeKind.VOICE_OVERAGE, ("통화 초과", "음성 초과")),
    (ChargeKind.MICROPAYMENT, ("소액결제", "소액 결제", "앱 결제", "게임 결제")),
    (ChargeKind.DEVICE_INSTALLMENT, ("할부", "단말기 대금", "기기값")),
    (ChargeKind.PLAN, ("기본료", "월정액", "요금제 요금", "기본 요금")),
)
_HINTS: tuple[tuple[DisputeRule, tuple[str, ...]], ...] = (
    (DisputeRule.DUPLICATE_CHARGE, ("두 번", "두번", "중복", "이중", "2번", "두 건", "똑같은 게")),
    (DisputeRule.ROAMING_WITHOUT_USAGE, ("해외에 안", "해외 안", "외국에 안", "출국한 적",
                                         "해외에 간 적", "나간 적이 없", "로밍 안 썼",
                                         "로밍을 안", "로밍 쓴 적")),
    (DisputeRule.VAS_WITHOUT_CONSENT, ("가입한 적", "가입 안 했", "신청한 적", "동의한 적",
                                       "동의 안", "가입하지 않", "모르는 부가")),
    (DisputeRule.OVERAGE_ON_UNLIMITED, ("무제한",)),
    (DisputeRule.PRORATION_ERROR, ("일할", "중간에")),
)
# Saying a charge is wrong without naming it; "이상해요" alone is left out (a question).
_CONTESTED = ("잘못 청구", "잘못 나왔", "잘못 나간", "잘못 부과", "잘못된 요금", "청구가 잘못",
              "과다 청구", "과다청구", "부당 청구", "부당하게 청구")
_RELATIVE_MONTHS: tuple[tuple[str, int], ...] = (
    ("지지난달", -2), ("지지난 달", -2), ("두 달 전", -2), ("지난달", -1), ("지난 달", -1),
    ("저번 달", -1), ("저번달", -1), ("이번 달", 0), ("이번달", 0), ("이달", 0),
)
_HANGUL_MONTHS = {"일월": 1, "이월": 2, "삼월": 3, "사월": 4, "오월": 5, "유월": 6, "칠월": 7,
                  "팔월": 8, "구월": 9, "시월": 10, "십일월": 11, "십이월": 12}
# A month followed by a day ("2001년 9월 24일") is a date, e.g. a birth date, not a period.
_YEAR_MONTH = re.compile(r"(20\d{2})\s*년\s*(\d{1,2})\s*월(?!\s*\d)")
_MONTH = re.compile(r"(?<![\d.])(\d{1,2})\s*월(?!\s*\d)")
_HANGUL_MONTH = re.compile(r"(십이월|십일월|일월|이월|삼월|사월|오월|유월|칠월|팔월|구월|시월)")
_MAN = re.compile(r"(\d+(?:\.\d+)?)\s*만\s*(?:(\d+)\s*천)?\s*(?:(\d+)\s*백)?\s*원?")
_CHEON = re.compile(r"(?<![\d만])(\d+)\s*천\s*(?:(\d+)\s*백)?\s*원")
# Thousands grouped by commas or, as some ASR and keyboards write them, by spaces ("55 000원").
_WON = re.compile(r"(?<![\d,])(\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+|\d+)\s*원")


@cache
def _phrase(words: tuple[str, ...]) -> re.Pattern[str]:
    # ASR merges neighbouring words ("바꾼 달" -> "바꾼달", "두 번" -> "두번"), so a space
    # inside a keyword is optional; none is ever required where the keyword has none.
    return re.compile("|".join(re.escape(w).replace(r"\ ", r"\s*") for w in words))


def _mentions(text: str, words: tuple[str, ...]) -> bool:
    """Whether `text` holds one of `words`, each written with or without its spaces."""
    return _phrase(words).search(text) is not None


def extract_claim_rules(text: str, *, today: date) -> DisputeClaim | None:
    """The claim the keyword rules find, or None when they find nothing at all."""
    kind = next((k for k, words in _CHARGE_WORDS if _mentions(text, words)), None)
    hint = next((h for h, words in _HINTS if _mentions(text, words)), None)
    if hint is DisputeRule.OVERAGE_ON_UNLIMITED and not _mentions(text, ("초과", "추가")):
        hint = None
    if hint is DisputeRule.ROAMING_WITHOUT_USAGE:
        kind = ChargeKind.ROAMING
    claim = DisputeClaim(period=parse_period(text, today=today), charge_kind=kind,
                         amount_krw=parse_amount(text), anomaly_hint=hint,
                         contested=hint is not None or _mentions(text, _CONTESTED))
    if claim == DisputeClaim():
        return None
    return claim


def is_specific(claim: DisputeClaim | None) -> bool:
    """Whether the claim disputes a charge: names it or its error, or says it is wrong.

    A month or an amount alone ("5월 요금이 많이 나왔어요"), or an identity answer that a
    shaky intent label sent down the dispute path, is not a dispute: no credit or approval
    is decided on it.
    """
    return claim is not None and (claim.charge_kind is not None
                                  or claim.anomaly_hint is not None or claim.contested)


def names_the_charge(claim: DisputeClaim | None) -> bool:
    """Whether the claim says which charge or which error it is about (no model needed)."""
    return claim is not None and (claim.charge_kind is not None or claim.anomaly_hint is not None)


# Hints that say a charge is wrong, not just there ("두 번", "가입한 적 없는데",
# "해외에 안 갔는데", "무제한인데 초과"). "중간에" (proration) is left out: it is also
# how "통화 중간에 끊겨요" starts.
_WRONG_CHARGE_HINTS = frozenset({DisputeRule.DUPLICATE_CHARGE, DisputeRule.ROAMING_WITHOUT_USAGE,
                                 DisputeRule.VAS_WITHOUT_CONSENT,
                                 DisputeRule.OVERAGE_ON_UNLIMITED})


def states_a_wrong_charge(claim: DisputeClaim | None) -> bool:
    """Whether the claim names a charge and says plainly what is wrong with it.

    Such a turn is a dispute whichever product it names ("소액결제가 이중으로 나갔어요").
    """
    return (claim is not None and claim.charge_kind is not None
            and claim.anomaly_hint in _WRONG_CHARGE_HINTS)


def merge_claims(earlier: DisputeClaim | None, turn: DisputeClaim | None) -> DisputeClaim | None:
    """The call's claim after one more turn: the turn's facts win, gaps keep earlier ones.

    A turn naming another charge starts a new claim that keeps only the month; one that
    names nothing new ("네, 4월 거요") completes the earlier claim.
    """
    if earlier is None or turn is None:
        return turn or earlier
    if turn.charge_kind is not None and turn.charge_kind != earlier.charge_kind:
        return DisputeClaim(period=turn.period or earlier.period, charge_kind=turn.charge_kind,
                            amount_krw=turn.amount_krw, anomaly_hint=turn.anomaly_hint,
                            contested=turn.contested)
    return DisputeClaim(
        period=turn.period or earlier.period,
        charge_kind=turn.charge_kind or earlier.charge_kind,
        amount_krw=turn.amount_krw if turn.amount_krw is not None else earlier.amount_krw,
        anomaly_hint=turn.anomaly_hint or earlier.anomaly_hint,
        contested=turn.contested or earlier.contested,
    )


def parse_period(text: str, *, today: date) -> str | None:
    """The billing period ("YYYY-MM") the text names, relative months resolved to today."""
    if match := _YEAR_MONTH.search(text):
        number = int(match.group(2))
        return f"{match.group(1)}-{number:02d}" if 1 <= number <= 12 else None
    for word, delta in _RELATIVE_MONTHS:
        if _mentions(text, (word,)):
            return _shift(today, delta)
    month: int | None = None
    if match := _MONTH.search(text):
        month = int(match.group(1))
    elif match := _HANGUL_MONTH.search(text):
        month = _HANGUL_MONTHS[match.group(1)]
    if month is None or not 1 <= month <= 12:
        return None
    year = today.year if month <= today.month else today.year - 1
    return f"{year}-{month:02d}"


def parse_amount(text: str) -> int | None:
    """The first amount of money in won, from digits with 만/천 units or plain digits."""
    if match := _MAN.search(text):
        amount = float(match.group(1)) * 10_000
        amount += int(match.group(2) or 0) * 1_000 + int(match.group(3) or 0) * 100
        return int(amount)
    if match := _CHEON.search(text):
        return int(match.group(1)) * 1_000 + int(match.group(2) or 0) * 100
    if match := _WON.search(text):
        return int(re.sub(r"[, ]", "", match.group(1)))
    return None


def _shift(today: date, months: int) -> str:
    index = today.year * 12 + today.month - 1 + months
    return f"{index // 12}-{index % 12 + 1:02d}"
