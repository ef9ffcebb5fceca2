"""What the assistant chat says from code: bill lines and sums, cited policy passages.

The graph decides (intents, disputes, credits, approvals); for the chat channel the API
words three kinds of turn itself, so that no number and no policy sentence comes from a
model:

- bill questions: the customer's own invoice lines, the sum of the lines computed here,
  and the billed total (`bill_answer`);
- plan and policy questions: the best passage of the policy/FAQ documents (agents.faq),
  retrieved with BM25 over Kiwi morpheme tokens, quoted with its citation (`PolicyIndex`);
- messages that try to instruct the assistant (ignore the rules, play a role, carry a
  "supervisor note" or a tool call): a polite refusal saying what the chat can do.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from agents.faq import FAQ
from agents.intents.features import morpheme_tokens
from services.schemas import InvoiceRecord

__all__ = [
    "REFUSAL",
    "Hit",
    "Passage",
    "PolicyIndex",
    "bill_answer",
    "cited_answer",
    "faq_passages",
    "looks_like_injection",
]

REFUSAL = (
    "죄송하지만 그 요청은 도와드릴 수 없어요. 저는 고객님 본인의 요금 조회, 청구 이의 "
    "접수, 요금제와 정책 안내를 도와드리고 있어요. 감면이나 환불은 청구 내역을 확인한 뒤 "
    "정해진 기준에 따라서만 처리돼요."
)

_INJECTION = re.compile(
    r"(ignore|disregard|forget)\s+(all\s+)?(the\s+)?(previous|prior|above|your)"
    r"|developer\s+mode|system\s+prompt|jailbreak|pretend|role[- ]?play|you\s+are\s+(now\s+)?"
    r"(the|a|my)\b|supervisor\s+note|approved\s+by|tool_call|function|issue_credit"
    r"|decide_approval|\"tool\"|\"action\"|```"
    r"|지시.{0,6}무시|규칙.{0,6}무시|프롬프트|시스템\s*[:：]|역할이야|역할을\s*해|척\s*해"
    r"|관리자로서|직원\s*권한|상담원\s*메모|팀장\s*승인|승인\s*완료|한도\s*(무시|해제)"
    r"|세션으로\s*전환|<<|\[시스템",
    re.IGNORECASE,
)
_MONTH = re.compile(r"(\d{1,2})\s*월")


def looks_like_injection(text: str) -> bool:
    """Whether the message tries to instruct the assistant rather than ask it something."""
    return bool(_INJECTION.search(text))


def _won(amount: int) -> str:
    return f"{amount:,}원"


def bill_answer(invoices: Sequence[InvoiceRecord], text: str) -> str | None:
    """The lines of the bill the question is about (a month named in it, else the latest).

    Every figure is the invoice's; the sum is computed here. None when there is no bill.
    """
    if not invoices:
        return None
    ordered = sorted(invoices, key=lambda i: i.period, reverse=True)
    chosen = ordered[0]
    month = _MONTH.search(text)
    if month is not None:
        wanted = int(month.group(1))
        chosen = next((i for i in ordered if int(i.period[5:]) == wanted), chosen)
    year, mon = chosen.period.split("-")
    lines = "\n".join(f"- {line.description} {_won(line.amount_krw)}" for line in chosen.lines)
    line_sum = sum(line.amount_krw for line in chosen.lines)
    if line_sum == chosen.total_krw:
        total = f"항목 합계는 {_won(line_sum)}으로 청구 금액 {_won(chosen.total_krw)}과 같아요."
    else:
        total = (
            f"항목 합계는 {_won(line_sum)}이고 청구 금액은 {_won(chosen.total_krw)}이에요. "
            f"차이 {_won(abs(chosen.total_krw - line_sum))}은 할인이나 조정 금액이에요."
        )
    return (
        f"고객님의 {year}년 {int(mon)}월 청구 내역을 알려 드릴게요.\n{lines}\n{total} "
        "잘못 청구된 항목이 있으면 말씀해 주세요."
    )


@dataclass(frozen=True, slots=True)
class Passage:
    """One policy/FAQ passage and where it comes from."""

    key: str
    title: str
    text: str
    source: str


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved passage and its BM25 score."""

    passage: Passage
    score: float


def faq_passages() -> list[Passage]:
    """The policy/FAQ documents of the repository (agents/faq.py), as passages."""
    return [
        Passage(key=e.key, title=e.question, text=e.answer, source=f"agents/faq.py#{e.key}")
        for e in FAQ
    ]


class PolicyIndex:
    """Okapi BM25 over Kiwi morpheme tokens (agents.intents.features.morpheme_tokens).

    Args:
        passages: The documents; title and text are indexed together.
        k1: Term-frequency saturation.
        b: Length normalisation.
    """

    def __init__(self, passages: Sequence[Passage], *, k1: float = 1.5, b: float = 0.75) -> None:
        self._passages = list(passages)
        self._k1 = k1
        self._b = b
        self._docs = [Counter(morpheme_tokens(f"{p.title} {p.text}")) for p in self._passages]
        lengths = [sum(doc.values()) for doc in self._docs]
        self._lengths = lengths
        self._avg = (sum(lengths) / len(lengths)) if lengths else 1.0
        frequency: Counter[str] = Counter()
        for doc in self._docs:
            frequency.update(doc.keys())
        n = len(self._docs)
        self._idf = {
            term: math.log(1.0 + (n - df + 0.5) / (df + 0.5)) for term, df in frequency.items()
        }

    def search(self, text: str, *, k: int = 3) -> list[Hit]:
        """The k best passages for `text`, best first (only those sharing a term)."""
        terms = set(morpheme_tokens(text))
        hits = []
        for passage, doc, length in zip(self._passages, self._docs, self._lengths, strict=True):
            score = 0.0
            for term in terms:
                tf = doc.get(term, 0)
                if tf:
                    norm = self._k1 * (1 - self._b + self._b * length / self._avg)
                    score += self._idf[term] * tf * (self._k1 + 1) / (tf + norm)
            if score > 0:
                hits.append(Hit(passage, score))
        hits.sort(key=lambda hit: (-hit.score, hit.passage.key))
        return hits[:k]


def cited_answer(hit: Hit) -> str:
    """The passage, quoted, with its citation."""
    passage = hit.passage
    return f"{passage.text}\n(출처: 자주 묻는 질문 「{passage.title}」, {passage.source})"
