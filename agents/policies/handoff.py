"""When a call or chat goes to a human agent: a pure decision over the call's facts.

Three triggers, checked in this order on every customer turn, at most once per call:

1. **customer_request**: the customer asks for a person ("상담원 연결해 주세요", "사람이랑
   통화하고 싶어요", "다른 상담사 바꿔 주세요"), unless the same sentence declines it
   ("상담원 연결 안 해도 돼요", "상담원 말고 여기서 할게요").
2. **churn_dispute**: the call is flagged for churn while one of its disputes is unresolved
   (waiting for a supervisor, rejected, or no invoice found).
3. **repeated_failure**: `failure_turns` consecutive customer turns went unhelped. A turn is
   *unhelped* when it decided no dispute and its answer is the fallback (nothing in the FAQ
   matched) or the very answer the previous customer turn got (the customer asked again and
   the graph could only repeat itself). A helped turn resets the count.

The words the customer hears come from code (HANDOFF_MESSAGE), never from a model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "HANDOFF_MESSAGE",
    "REASON_LABELS",
    "UNRESOLVED_OUTCOMES",
    "HandoffDecision",
    "HandoffReasonCode",
    "TurnFacts",
    "asks_for_person",
    "is_unhelped",
    "should_hand_off",
]

HandoffReasonCode = Literal["customer_request", "repeated_failure", "churn_dispute"]

HANDOFF_MESSAGE: Final = "상담원에게 연결해 드릴게요. 잠시만 기다려 주세요."
REASON_LABELS: Final[dict[str, str]] = {
    "customer_request": "고객 요청",
    "repeated_failure": "반복 응대 실패",
    "churn_dispute": "이탈 위험 및 미해결 이의 제기",
}
UNRESOLVED_OUTCOMES: Final = frozenset({"pending_approval", "rejected", "no_invoice"})

_MAX_EVIDENCE_CHARS = 200
_STAFF = r"(?:상담\s?원|상담\s?사|상담\s?직원|직원|담당자|매니저)(?:\s?(?:분|님))*"
# Connecting takes an object or "with", never a subject: "직원이 연결해 줬는데" is a report.
_STAFF_PARTICLE = r"(?:을|를|으로|로|한테|에게|께|이랑|랑|하고|과|와)?"
# "사람" is an everyday word: only "with a person" or "person, connect" asks for one
# ("사람이 통화를 많이 해요" and "다른 사람 명의로 바꿔 주세요" do not).
_HUMAN = r"(?:진짜|실제|다른|직접)?\s?사람(?:\s?(?:이랑|랑|하고|과|와|한테|에게))"
_HUMAN_BARE = r"(?:진짜|실제|다른|직접)?\s?사람"
_ADVERBS = r"(?:\s?(?:좀|빨리|바로|지금|직접|당장|얼른|한번|한 번|제발|그냥|다시|어서|꼭)\s?){0,3}"
_CONNECT = r"(?:연결|바꿔|바꾸|바꿀|돌려|불러|넘겨|대\s?주|대줘)"
_TALK = r"(?:통화|얘기|이야기|대화|말\s?하|말씀|상담)"
_REQUEST = re.compile(
    rf"{_STAFF}\s?{_STAFF_PARTICLE}{_ADVERBS}\s?(?:{_CONNECT}|{_TALK})"
    rf"|{_HUMAN}{_ADVERBS}\s?(?:{_CONNECT}|{_TALK})"
    rf"|{_HUMAN_BARE}\s?(?:좀)?{_ADVERBS}\s?(?:연결|바꿔)"
)
_BARE = re.compile(
    r"^\s*(?:네,?\s*|저기요,?\s*)?(?:상담\s?원|상담\s?사)(?:\s?(?:분|님))*"
    r"\s?(?:이요|요|연결이요|연결요|연결)?\s*[.?!~]*\s*$"
)
# What makes it a request rather than a story: a request ending after the verb.
_ASKING = re.compile(
    r"주세요|주십시오|주시겠|주실|주시면|주세여|줘|줄래|줄 수|주라|부탁|싶|원해|원합|원하|할래|"
    r"하겠|되나요|될까요|되죠|되겠|가능|이요|시켜|요\s*[.?!~]*\s*$|\A\s*[.?!~]*\s*\Z"
)
_REPORTED = re.compile(
    r"했는데|했더니|됐는데|줬는데|주셨는데|했었|했어요|했잖|됐어요|해 줬|해줬|했다"
)
# Declining before the request ends; "안" alone, not the first syllable of 안내/안녕/안전/안심.
_DECLINED = re.compile(
    r"(?<![가-힣])안(?![내녕전심경])|않|말고|마세요|마요|말아|필요\s?없|괜찮|됐어요|됐습니다|"
    r"싫|하지\s?마|나중에|없어도"
)
_SENTENCES = re.compile(r"[^.?!\n]+[.?!~]*")


@dataclass(frozen=True, slots=True)
class TurnFacts:
    """What one customer turn left behind, as the policy needs it."""

    seq: int
    text: str  # the customer's words, PII redacted
    dispute_outcome: str | None  # the dispute decided on this turn, if any
    answer: str | None  # the graph's answer to this turn
    fallback: bool  # the answer is the fallback: nothing matched
    previous_answer: str | None  # the answer the previous customer turn got
    churn_flagged: bool
    unresolved_dispute: bool  # any dispute of the call in UNRESOLVED_OUTCOMES


@dataclass(frozen=True, slots=True)
class HandoffDecision:
    """Hand the call to a person, why, and the words or signals behind it."""

    reason: HandoffReasonCode
    evidence: str


def asks_for_person(text: str) -> str | None:
    """The sentence in which the customer asks for a human agent, or None.

    A sentence counts when it names a person with a connect or talk verb followed by a
    request ending ("...해 주세요", "...하고 싶어요", or nothing: "상담원 바꿔"), and
    neither declines ("안 해도 돼요", "말고") nor reports the past ("연결했는데") on the way.
    """
    for match in _SENTENCES.finditer(text):
        sentence = match.group(0)
        if _BARE.match(sentence):
            return sentence.strip()[:_MAX_EVIDENCE_CHARS]
        for found in _REQUEST.finditer(sentence):
            asking = _ASKING.search(sentence[found.end():])
            if asking is None:
                continue
            window = sentence[found.start(): found.end() + asking.end()]
            if _DECLINED.search(window) or _REPORTED.search(window):
                continue
            return sentence.strip()[:_MAX_EVIDENCE_CHARS]
    return None


def is_unhelped(turn: TurnFacts) -> bool:
    """No dispute decided, and the answer is the fallback or a repeat of the last one."""
    if turn.dispute_outcome is not None:
        return False
    if turn.fallback:
        return True
    return turn.answer is not None and turn.answer == turn.previous_answer


def should_hand_off(
    turn: TurnFacts, *, unhelped_streak: int, failure_turns: int, already: bool
) -> HandoffDecision | None:
    """The handoff this turn calls for, or None (always None once the call has one).

    `unhelped_streak` counts the consecutive unhelped customer turns up to and including
    this one (the caller keeps it: `is_unhelped` of each turn).
    """
    if already:
        return None
    request = asks_for_person(turn.text)
    if request is not None:
        return HandoffDecision("customer_request", request)
    if turn.churn_flagged and turn.unresolved_dispute:
        return HandoffDecision("churn_dispute", "churn_flagged+unresolved_dispute")
    if failure_turns > 0 and unhelped_streak >= failure_turns:
        return HandoffDecision("repeated_failure", f"unhelped_turns:{unhelped_streak}")
    return None
