"""Planted follow-ups: closing turns that say dates, amounts and duties, with their truth.

Scripted calls say few dates and fewer duties, so the summary's item extraction is scored
on turns planted just before a call's last turn. Each call gets its own draw
(`random.Random(f"followups:{seed}:{call_id}")`), so a call's planted turns and call date
repeat for a seed and do not change when other calls are added. The expected values are
computed here with plain calendar arithmetic, never by the system's own normalizer.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Callable
from typing import Literal

from pydantic import Field

from services.schemas import Record, Speaker
from simulator.korean import digits_spoken, has_batchim, number_to_hangul, won_spoken
from simulator.scenarios import ScriptedCall, Turn

__all__ = [
    "ExpectedAction", "ExpectedIdentifier", "FollowUpTruth", "PlantedCall", "plant_followups",
]

_WEEKDAYS = "월화수목금토일"
_HOURS = ("한", "두", "세", "네", "다섯", "여섯", "일곱", "여덟", "아홉", "열", "열한", "열두")
_DOCUMENTS = ("가족관계증명서", "신분증 사본", "납부 영수증", "관련 서류")
_FIRST_DAY = dt.date(2025, 1, 1)
_DAYS = 3 * 365


class ExpectedAction(Record):
    """A duty a correct summary lists: who owes it, what, and by which day."""

    owner: Literal["customer", "agent", "company"]
    action: str
    due: str | None = None


class ExpectedIdentifier(Record):
    """A number said: its kind and the last four digits a masked form may show."""

    kind: Literal["phone", "account", "card"]
    last4: str = Field(pattern=r"^\d{4}$")


class FollowUpTruth(Record):
    """What the planted turns say, resolved against `call_date`."""

    call_date: dt.date
    planted_seqs: list[int] = Field(default_factory=list)
    dates: list[str] = Field(default_factory=list)
    amounts: list[int] = Field(default_factory=list)
    actions: list[ExpectedAction] = Field(default_factory=list)
    identifiers: list[ExpectedIdentifier] = Field(default_factory=list)


class PlantedCall(Record):
    """A scripted call with follow-up turns planted before its last turn."""

    call: ScriptedCall
    truth: FollowUpTruth


def plant_followups(call: ScriptedCall, *, seed: int, turns: int = 2) -> PlantedCall:
    """Plant follow-up turns before the call's last turn.

    `turns` distinct templates, plus one turn that gives a phone or account number.
    """
    rng = random.Random(f"followups:{seed}:{call.call_id}")
    call_date = _FIRST_DAY + dt.timedelta(days=rng.randrange(_DAYS))
    hangul = rng.random() < 0.5
    truth = FollowUpTruth(call_date=call_date)
    planted: list[Turn] = []
    for template in rng.sample(_TEMPLATES, k=min(turns, len(_TEMPLATES))):
        speaker, text, found = template(rng, call_date, hangul)
        planted.append(Turn(speaker=speaker, text=text))
        truth = truth.model_copy(update={
            "dates": truth.dates + found.dates, "amounts": truth.amounts + found.amounts,
            "actions": truth.actions + found.actions,
        })
    # The number turn draws from its own stream, so the templates above stay as they were.
    number_rng = random.Random(f"followups-number:{seed}:{call.call_id}")
    speaker, text, said = _says_a_number(number_rng, hangul)
    planted.insert(number_rng.randrange(len(planted) + 1), Turn(speaker=speaker, text=text))
    truth = truth.model_copy(update={"identifiers": [said]})
    at = len(call.turns) - 1
    seqs = list(range(at, at + len(planted)))
    new_turns = [*call.turns[:at], *planted, *call.turns[at:]]
    # A summary lists each date and amount once, however often it was said.
    return PlantedCall(call=call.model_copy(update={"turns": new_turns}), truth=truth.model_copy(
        update={"planted_seqs": seqs, "dates": list(dict.fromkeys(truth.dates)),
                "amounts": list(dict.fromkeys(truth.amounts))}))


# --- dates said and what they mean --------------------------------------------------


def _day(rng: random.Random, call_date: dt.date, hangul: bool) -> tuple[str, dt.date]:
    """A day as a customer or agent says it, and the day it is."""
    kind = rng.randrange(5)
    if kind == 0:
        word, shift = rng.choice((("오늘", 0), ("내일", 1), ("모레", 2)))
        return word, call_date + dt.timedelta(days=shift)
    if kind == 1:
        week, weeks = rng.choice((("이번 주", 0), ("다음 주", 1), ("다음주", 1)))
        weekday = rng.randrange(7)
        monday = call_date - dt.timedelta(days=call_date.weekday())
        day = monday + dt.timedelta(weeks=weeks, days=weekday)
        return f"{week} {_WEEKDAYS[weekday]}요일", day
    if kind == 2:
        word = rng.choice(("이번 달 말", "다음 달 말"))
        year, month = _next_month(call_date) if word.startswith("다음") else _ym(call_date)
        return word, dt.date(year, month, calendar.monthrange(year, month)[1])
    if kind == 3:
        year, month = _next_month(call_date)
        mday = rng.randint(1, 28)
        said = f"{number_to_hangul(mday)}일" if hangul else f"{mday}일"
        return f"다음 달 {said}", dt.date(year, month, mday)
    ahead = call_date + dt.timedelta(days=rng.randint(3, 40))
    if hangul:
        return f"{number_to_hangul(ahead.month)}월 {number_to_hangul(ahead.day)}일", ahead
    return f"{ahead.month}월 {ahead.day}일", ahead


def _ym(day: dt.date) -> tuple[int, int]:
    return day.year, day.month


def _next_month(day: dt.date) -> tuple[int, int]:
    return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)


def _time(rng: random.Random) -> tuple[str, str]:
    """A time of day as said ("오후 세 시 반") and as written ("15:30")."""
    hour = rng.randint(9, 18)
    half = rng.random() < 0.4
    said_hour = hour - 12 if hour > 12 else hour
    word = "오전" if hour < 12 else "오후"
    said = f"{word} {_HOURS[said_hour - 1]} 시{' 반' if half else ''}"
    return said, f"{hour:02d}:{30 if half else 0:02d}"


# --- the templates --------------------------------------------------------------------

_Found = FollowUpTruth
_Template = Callable[[random.Random, dt.date, bool], tuple[Speaker, str, _Found]]


def _found(call_date: dt.date, dates: list[str] | None = None, amounts: list[int] | None = None,
           actions: list[ExpectedAction] | None = None) -> _Found:
    return FollowUpTruth(call_date=call_date, dates=dates or [], amounts=amounts or [],
                         actions=actions or [])


def _submit_documents(rng: random.Random, call_date: dt.date, hangul: bool
                      ) -> tuple[Speaker, str, _Found]:
    said, day = _day(rng, call_date, hangul)
    doc = rng.choice(_DOCUMENTS)
    text = rng.choice((f"{said}까지 {doc} 보내 주세요.",
                       f"{doc}{'은' if has_batchim(doc) else '는'} {said}까지 제출 부탁드립니다.",
                       f"{said}까지 {doc} 팩스로 보내 주시면 됩니다."))
    return Speaker.AGENT, text, _found(call_date, [day.isoformat()], actions=[
        ExpectedAction(owner="customer", action="documents", due=day.isoformat())])


def _customer_calls_back(rng: random.Random, call_date: dt.date, hangul: bool
                         ) -> tuple[Speaker, str, _Found]:
    said, day = _day(rng, call_date, hangul)
    time_said, time = _time(rng)
    text = rng.choice((f"네, {said} {time_said}에 다시 전화할게요.",
                       f"{said} {time_said}쯤 제가 다시 연락드릴게요.",
                       f"그럼 {said} {time_said}에 다시 걸게요."))
    return Speaker.CUSTOMER, text, _found(call_date, [f"{day.isoformat()}T{time}"], actions=[
        ExpectedAction(owner="customer", action="callback", due=day.isoformat())])


def _company_refunds(rng: random.Random, call_date: dt.date, hangul: bool
                     ) -> tuple[Speaker, str, _Found]:
    amount = rng.randrange(1_000, 90_000, 100)
    won = won_spoken(amount, hangul=hangul)
    text = rng.choice((f"{won}은 다음 달 요금에서 환급될 예정입니다.",
                       f"{won}은 다음 달 청구서에서 차감됩니다.",
                       f"{won}은 삼 영업일 안에 환불 처리됩니다."))
    return Speaker.AGENT, text, _found(call_date, amounts=[amount], actions=[
        ExpectedAction(owner="company", action="refund")])


def _agent_texts(rng: random.Random, call_date: dt.date, hangul: bool
                 ) -> tuple[Speaker, str, _Found]:
    subject = rng.choice(("처리 결과는", "환급 결과는", "접수 내용은"))
    text = rng.choice((f"{subject} 문자로 안내해 드리겠습니다.",
                       "결과 나오면 카톡 알림으로 보내 드릴게요.",
                       "처리되면 바로 문자 드릴게요."))
    return Speaker.AGENT, text, _found(call_date, actions=[
        ExpectedAction(owner="agent", action="message")])


def _customer_pays(rng: random.Random, call_date: dt.date, hangul: bool
                   ) -> tuple[Speaker, str, _Found]:
    said, day = _day(rng, call_date, hangul)
    amount = rng.randrange(10_000, 200_000, 10)
    won = won_spoken(amount, hangul=hangul)
    text = rng.choice((f"{said}까지 {won} 납부할게요.",
                       f"{won}은 {said}까지 입금하겠습니다.",
                       f"{said}까지 {won} 낼게요."))
    return Speaker.CUSTOMER, text, _found(call_date, [day.isoformat()], [amount], [
        ExpectedAction(owner="customer", action="payment", due=day.isoformat())])


def _agent_calls_back(rng: random.Random, call_date: dt.date, hangul: bool
                      ) -> tuple[Speaker, str, _Found]:
    said, day = _day(rng, call_date, hangul)
    time_said, time = _time(rng)
    text = rng.choice((f"{said} {time_said}에 담당자가 다시 연락드리겠습니다.",
                       f"{said} {time_said}에 제가 직접 전화 드릴게요."))
    return Speaker.AGENT, text, _found(call_date, [f"{day.isoformat()}T{time}"], actions=[
        ExpectedAction(owner="agent", action="callback", due=day.isoformat())])


def _customer_visits(rng: random.Random, call_date: dt.date, hangul: bool
                     ) -> tuple[Speaker, str, _Found]:
    said, day = _day(rng, call_date, hangul)
    at = "" if said in ("오늘", "내일", "모레") else "에"
    text = rng.choice((f"그럼 {said}{at} 가까운 대리점 방문할게요.",
                       f"{said}{at} 매장에 들러 볼게요."))
    return Speaker.CUSTOMER, text, _found(call_date, [day.isoformat()], actions=[
        ExpectedAction(owner="customer", action="visit", due=day.isoformat())])


_BANKS = ("국민은행", "신한은행", "우리은행", "하나은행", "농협")


def _says_a_number(rng: random.Random, hangul: bool) -> tuple[Speaker, str, ExpectedIdentifier]:
    """A turn that gives a phone or account number (no date, amount or duty in it)."""
    if rng.random() < 0.6:
        number = f"010-{rng.randrange(2000, 10_000)}-{rng.randrange(10_000):04d}"
        said = digits_spoken(number) if hangul else rng.choice((number, number.replace("-", "")))
        text = rng.choice((f"제 번호는 {said}입니다.", f"연락처는 {said}예요.",
                           f"네, 휴대폰 번호 {said} 맞습니다."))
        return Speaker.CUSTOMER, text, ExpectedIdentifier(kind="phone", last4=number[-4:])
    number = f"{rng.randrange(100, 1000)}-{rng.randrange(10, 100)}-{rng.randrange(10**6):06d}"
    bank = rng.choice(_BANKS)
    text = rng.choice((f"환불 계좌는 {bank} {number}입니다.",
                       f"{bank} 계좌번호 {number}로 등록해 두었어요."))
    return Speaker.CUSTOMER, text, ExpectedIdentifier(kind="account", last4=number[-4:])


_TEMPLATES: list[_Template] = [
    _submit_documents, _customer_calls_back, _company_refunds, _agent_texts, _customer_pays,
    _agent_calls_back, _customer_visits,
]
