"""Items a call summary lists: dates, amounts, identifiers and follow-up actions, by code.

Everything here reads redacted utterances, so an identifier is seen as its typed placeholder
("[전화번호]") and, when the entry point kept it, as the masked form and sealed value it put
next to the text ("010-****-5678"); the summary never holds digits in the clear.
Dates and amounts come from the Korean normalizer (`read_quantities`), relative dates
resolved against the call's date; a time said next to a date joins it, a time said alone
belongs to the call's day. Actions come from fixed rules over one utterance: the verb's
form says who owes it (a promise binds the speaker, a request binds the other side, a
passive "~될 예정입니다" binds the company), the object says what it is.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from agents.korean.kinds import PLACEHOLDERS, PiiKind
from agents.korean.quantities import read_quantities

__all__ = [
    "ACTION_LABELS",
    "OWNER_LABELS",
    "ActionItem",
    "AmountItem",
    "DateItem",
    "ExtractedItems",
    "HeardIdentifier",
    "IdentifierItem",
    "Owner",
    "extract_items",
]

Owner = Literal["customer", "agent", "company"]
OWNER_LABELS: dict[Owner, str] = {"customer": "고객", "agent": "상담사", "company": "회사"}
# Order matters: the first object named in the utterance decides the action's kind. Checks
# ("확인해 보겠습니다") are left out: they happen during the call, nobody owes them after.
ACTION_LABELS: dict[str, str] = {
    "documents": "서류 제출",
    "payment": "요금 납부",
    "visit": "매장 방문",
    "refund": "환급 처리",
    "message": "문자 안내",
    "callback": "다시 연락",
}
_OBJECTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("documents", re.compile(r"서류|증빙|사본|영수증|증명서")),
    ("payment", re.compile(r"납부|입금|이체|(?<!보)(?:낼게|내겠|내 ?주|내셔야|내시면)")),
    ("visit", re.compile(r"방문|대리점|매장")),
    ("message", re.compile(r"문자|알림|카톡|메시지")),
    ("refund", re.compile(r"환급|환불|감면|차감|돌려|반영")),
    ("callback", re.compile(r"전화|연락|콜백|다시 걸")),
)
# A promise by the speaker, not a polite question ("확인하시겠어요?") nor "모르겠어요".
_PROMISE_RE = re.compile(r"(?<![시르])(?:게요|겠습니다|겠어요)")
# What a customer's request puts on the agent; money is the policy's to decide, not theirs.
_ASKABLE = frozenset({"message", "callback"})
_REQUEST_RE = re.compile(
    r"주세요|주십시오|주시기 바랍니다|주셔야|하셔야|해야 (?:해요|합니다)|부탁드[립려]"
    r"|(?:주|하)시면 (?:됩니다|돼요)"
)
_COMPANY_RE = re.compile(r"될 예정|예정입니다|될 거예요|됩니다|처리돼요|나갈 거예요")
# "12월 20일" without a year: the normalizer reads it as past (a bill's date); a summary
# takes the occurrence nearest the call, so a deadline in January said in December is ahead.
_MONTH_DAY_RE = re.compile(r"\d{1,2}[ \t]?월[ \t]?\d{1,2}[ \t]?일")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+|\n")
_MONTH_EDGE_RE = re.compile(r"[ \t]?(말|초)")
_IDENTIFIER_KINDS = (
    PiiKind.PHONE, PiiKind.ACCOUNT, PiiKind.CARD, PiiKind.RRN, PiiKind.FRN,
    PiiKind.PASSPORT, PiiKind.DRIVER_LICENSE,
)
_KIND_OF = {PLACEHOLDERS[kind]: kind for kind in _IDENTIFIER_KINDS}
_PLACEHOLDER_RE = re.compile("|".join(map(re.escape, _KIND_OF)))
_MAX_ITEMS = 50  # per kind: a summary lists what matters, not every number of a long call
_MAX_AMOUNT_KRW = 1_000_000_000


@dataclass(frozen=True, slots=True)
class DateItem:
    """A date ("2026-12-08") or date and time ("2026-12-08T15:30") said in the call."""

    value: str
    seq: int


@dataclass(frozen=True, slots=True)
class AmountItem:
    """An amount of money in won said in the call."""

    krw: int
    seq: int


@dataclass(frozen=True, slots=True)
class IdentifierItem:
    """An identifier mentioned: its kind, masked form and its value sealed for the owner."""

    kind: str
    masked: str
    seq: int
    sealed: str | None = None


@dataclass(frozen=True, slots=True)
class HeardIdentifier:
    """What an entry point kept of one redacted identifier (see services.privacy)."""

    kind: str
    masked: str
    sealed: str | None = None


@dataclass(frozen=True, slots=True)
class ActionItem:
    """A follow-up someone owes: who, what (an ACTION_LABELS key) and by when."""

    owner: Owner
    action: str
    due: str | None
    seq: int
    by: bool = True  # "까지" (a deadline) rather than "에" (an appointment)

    def line(self) -> str:
        """The action in polite-summary Korean, e.g. "고객: 12월 8일(화)까지 서류 제출"."""
        particle = "까지" if self.by else "에"
        when = f"{_korean_date(self.due)}{particle} " if self.due else ""
        return f"{OWNER_LABELS[self.owner]}: {when}{ACTION_LABELS[self.action]}"


@dataclass(frozen=True, slots=True)
class ExtractedItems:
    """Everything `extract_items` found, each list in call order without repeats."""

    dates: tuple[DateItem, ...] = ()
    amounts: tuple[AmountItem, ...] = ()
    identifiers: tuple[IdentifierItem, ...] = ()
    actions: tuple[ActionItem, ...] = ()


def extract_items(
    utterances: Iterable[tuple[int, str, str]],
    call_date: dt.date,
    heard: Mapping[int, Sequence[HeardIdentifier]] | None = None,
) -> ExtractedItems:
    """Read dates, amounts, identifiers and actions from redacted utterances.

    Args:
        utterances: (seq, speaker, redacted text) in call order; speaker "customer"/"agent".
        call_date: The call's day (its local date); relative dates resolve against it.
        heard: Per seq, the identifiers behind that utterance's placeholders, in text order.
    """
    dates: dict[str, DateItem] = {}
    amounts: dict[int, AmountItem] = {}
    identifiers: list[IdentifierItem] = []
    actions: dict[tuple[str, str], ActionItem] = {}
    for seq, speaker, text in utterances:
        said_dates, said_amounts = _values(text, call_date)
        for value in said_dates:
            dates.setdefault(value, DateItem(value, seq))
        for krw in said_amounts:
            amounts.setdefault(krw, AmountItem(krw, seq))
        identifiers.extend(_identifiers(seq, text, (heard or {}).get(seq, ())))
        for sentence in _SENTENCE_END_RE.split(text):
            action = _action(seq, speaker, sentence, call_date)
            if action is not None:
                # A later turn restating the same duty (with a date, say) replaces it.
                actions.pop((action.owner, action.action), None)
                actions[(action.owner, action.action)] = action
    return ExtractedItems(
        dates=tuple(dates.values())[:_MAX_ITEMS],
        amounts=tuple(amounts.values())[:_MAX_ITEMS],
        identifiers=tuple(identifiers)[:_MAX_ITEMS],
        actions=tuple(actions.values())[:_MAX_ITEMS],
    )


def _values(text: str, call_date: dt.date) -> tuple[list[str], list[int]]:
    """The utterance's dates (times joined to them) and amounts, in text order."""
    normalized, found = read_quantities(text, call_date)
    dates: list[str] = []
    amounts: list[int] = []
    last_date: str | None = None
    for quantity in found:
        if quantity.form == "date" and not quantity.value.startswith("--"):
            said = normalized[quantity.start:quantity.end]
            last_date = quantity.value
            if _MONTH_DAY_RE.fullmatch(said):
                last_date = _nearest_year(last_date, call_date)
            dates.append(last_date)
        elif quantity.form == "month":
            edge = _MONTH_EDGE_RE.match(normalized, quantity.end)
            if edge and not quantity.value.startswith("--"):
                last_date = _month_edge(quantity.value, edge.group(1))
                dates.append(last_date)
        elif quantity.form == "time":
            day = last_date or call_date.isoformat()
            if dates and dates[-1] == last_date:
                dates.pop()  # "내일 오후 3시": one moment, not a day and a moment
            dates.append(f"{day}T{quantity.value}")
        elif quantity.form == "money" and len(quantity.value) <= 10:
            krw = int(quantity.value)
            if 0 < krw <= _MAX_AMOUNT_KRW:
                amounts.append(krw)
    return dates, amounts


def _nearest_year(iso: str, call_date: dt.date) -> str:
    said = dt.date.fromisoformat(iso)
    options = []
    for year in (call_date.year - 1, call_date.year, call_date.year + 1):
        try:
            options.append(said.replace(year=year))
        except ValueError:  # 2월 29일 outside a leap year
            continue
    return min(options or [said], key=lambda day: abs((day - call_date).days)).isoformat()


def _month_edge(month: str, edge: str) -> str:
    """"이번 달 말" is the month's last day; "다음 달 초" its first."""
    year, mon = int(month[:4]), int(month[5:7])
    day = calendar.monthrange(year, mon)[1] if edge == "말" else 1
    return dt.date(year, mon, day).isoformat()


def _identifiers(seq: int, text: str, heard: Sequence[HeardIdentifier]) -> list[IdentifierItem]:
    """Each placeholder in text order, with the masked form the entry kept for it if any."""
    waiting = {kind: [h for h in heard if h.kind == kind] for kind in map(str, _IDENTIFIER_KINDS)}
    found: list[IdentifierItem] = []
    for match in _PLACEHOLDER_RE.finditer(text):
        kind = str(_KIND_OF[match.group()])
        kept = waiting[kind].pop(0) if waiting[kind] else None
        if kept is None:  # redacted after the entry, or by an entry that kept nothing
            found.append(IdentifierItem(kind, match.group(), seq))
        else:
            found.append(IdentifierItem(kind, kept.masked, seq, kept.sealed))
    return found


def _action(seq: int, speaker: str, text: str, call_date: dt.date) -> ActionItem | None:
    """The duty one sentence states, if any."""
    kind = next((name for name, pattern in _OBJECTS if pattern.search(text)), None)
    if kind is None or text.rstrip().endswith("?"):
        return None  # a question commits nobody
    other: Owner = "agent" if speaker == "customer" else "customer"
    owner: Owner
    if _REQUEST_RE.search(text):
        if speaker == "customer" and kind not in _ASKABLE:
            return None  # "환불해 주세요" is a claim; the dispute policy decides what is owed
        owner = other
    elif speaker == "agent" and _COMPANY_RE.search(text) and not _PROMISE_RE.search(text):
        owner = "company"
    elif _PROMISE_RE.search(text):
        owner = "customer" if speaker == "customer" else "agent"
    else:
        return None
    said_dates = _values(text, call_date)[0]
    due = said_dates[0][:10] if said_dates else None
    return ActionItem(owner=owner, action=kind, due=due, seq=seq, by=due is not None
                      and "까지" in text)


def _korean_date(iso: str) -> str:
    day = dt.date.fromisoformat(iso[:10])
    return f"{day.month}월 {day.day}일({'월화수목금토일'[day.weekday()]})"
