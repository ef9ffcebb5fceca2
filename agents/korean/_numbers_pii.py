"""Classify written or spoken digit runs: phone, registration, card, account, licence."""

from __future__ import annotations

import re
from collections.abc import Iterator

from agents.korean.checksums import (
    frn_checksum_valid,
    luhn_valid,
    registration_birth_date,
    rrn_checksum_valid,
)
from agents.korean.digits import DigitRun, find_digit_runs, is_word_start, readings
from agents.korean.kinds import PiiKind

__all__ = ["find_number_pii", "phone_layout"]

_MOBILE_RE = re.compile(r"01[016789]\d{7,8}")
# Seoul 02, the 0XY regional codes, 070 internet phones and 050X safe numbers. Business
# numbers (15XX/16XX/18XX-XXXX, 080 toll-free) are public company lines, not personal data.
_LANDLINE_RE = re.compile(r"02\d{7,8}|0(?:3[1-3]|4[1-4]|5[1-5]|6[1-4])\d{7,8}|070\d{8}|050\d{8,9}")
_BUSINESS_RE = re.compile(r"(?:1[5-9]\d\d)\d{4}")
# A local landline without its area code: 3-4 digit exchange (not 0/1) and 4 digits.
_LOCAL_RE = re.compile(r"[2-9]\d{6,7}")
_LOCAL_LAYOUTS = frozenset({(7,), (8,), (3, 4), (4, 4)})
_MIN_DIGITS = 6
_BANK_LAYOUTS = frozenset({
    (3, 2, 6), (6, 2, 6), (3, 3, 6), (3, 6, 5), (4, 3, 6), (3, 4, 4, 2), (4, 2, 7),
    (3, 6, 2, 3), (3, 2, 4, 1), (3, 3, 5), (3, 4, 6), (3, 2, 5, 1), (6, 2, 5), (3, 6, 3),
})
_CONTEXT_WORDS: dict[str, tuple[str, ...]] = {
    "card": ("카드",),
    "account": ("계좌", "통장", "입금", "이체", "송금", "은행", "뱅크", "예금주", "환불받"),
    "registration": ("주민", "등록번호", "외국인"),
    "licence": ("면허",),
    # A local number said without its area code ("국번 없이 칠팔구 일이삼사") needs these.
    "phone": ("전화", "연락처", "휴대폰", "핸드폰", "국번", "지역번호", "집 번호", "연락 번호"),
    # Identifiers of things, not people: these veto the weaker (context-only) rules.
    "negative": tuple(
        "주문 송장 운송장 택배 배송 모델 일련 시리얼 접수 사업자 사업자등록번호 영수증 "
        "승인번호 바코드 쿠폰 상품권 IMEI imei".split()
    ),
}
_LABEL_BY_WORD = {w: label for label, words in _CONTEXT_WORDS.items() for w in words}
_CONTEXT_RE = re.compile("|".join(sorted(map(re.escape, _LABEL_BY_WORD), key=len, reverse=True)))
_WINDOW = 24
_AFTER_WINDOW = 6
_MAX_DIGITS = 21


def _nearest_context(text: str, start: int) -> str | None:
    window = text[max(0, start - _WINDOW) : start]
    best: tuple[tuple[int, int], str] | None = None
    for match in _CONTEXT_RE.finditer(window):
        # The word ending nearest the number wins; alternatives are tried longest first,
        # so "사업자등록번호" beats "등록번호".
        key = (match.end(), match.end() - match.start())
        if best is None or key > best[0]:
            best = (key, _LABEL_BY_WORD[match.group()])
    return best[1] if best else None


def _context_after(text: str, end: int) -> str | None:
    """A card or account word right after the number: "4000 1234 ... 이 카드로"."""
    match = _CONTEXT_RE.search(text[end : end + _AFTER_WINDOW])
    label = _LABEL_BY_WORD[match.group()] if match else None
    return label if label in ("card", "account") else None


def phone_layout(digits: str, lengths: tuple[int, ...], plus: bool) -> str | None:
    """Return the domestic form of a personal phone number, or None when it is not one."""
    if digits.startswith("82") and (plus or (len(lengths) > 1 and lengths[0] == 2)):
        digits = "0" + digits[2:].removeprefix("0")
        lengths = lengths[1:] if len(lengths) > 1 else (len(digits),)
    if not (_MOBILE_RE.fullmatch(digits) or _LANDLINE_RE.fullmatch(digits)):
        return None
    if len(lengths) == 1 or max(lengths) <= 2 or (len(lengths) == 2 and lengths[1] in (7, 8)):
        return digits
    if lengths[0] <= 4 and max(lengths[1:]) <= 2:
        return digits  # "공일공 칠일 칠이 구구 팔일": the prefix, then pairs
    if lengths[-1] == 4 and max(lengths) <= 4:
        return digits  # "공 일공 사천오백육십칠 천삼백팔": the prefix said in pieces
    if len(lengths) == 2 and lengths[1] == 4 and lengths[0] >= 5:
        return digits  # "0518339 칠일삼팔": the first part run together
    return digits if lengths[-1] == 4 and all(2 <= n <= 4 for n in lengths) else None


def _registration_half(digits: str) -> bool:
    if len(digits) == 7:
        return digits[0] in "12345678"
    return len(digits) == 6 and registration_birth_date(digits + "1") is not None


def _classify(
    digits: str, lengths: tuple[int, ...], plus: bool, context: str | None
) -> PiiKind | None:
    if phone_layout(digits, lengths, plus):
        return PiiKind.PHONE
    if context == "phone" and _LOCAL_RE.fullmatch(digits) and lengths in _LOCAL_LAYOUTS:
        return PiiKind.PHONE
    if context == "registration" and len(lengths) == 1 and _registration_half(digits):
        return PiiKind.RRN  # "앞자리 칠구일일이팔 뒷자리 일공사사이삼공": the halves apart
    size, negative = len(digits), context == "negative"
    if context == "account" and lengths in _BANK_LAYOUTS and 10 <= size <= 14:
        return PiiKind.ACCOUNT  # a bank layout after "계좌": 13 digits need not be an RRN
    if size == 13 and registration_birth_date(digits) is not None and digits[6] in "12345678":
        foreign = digits[6] in "5678"
        checksum = frn_checksum_valid(digits) if foreign else rrn_checksum_valid(digits)
        # Post-2020 numbers fail the checksum by design: a valid birth date and gender digit
        # are enough when the layout or context says "registration number".
        if lengths == (6, 7) or checksum or context == "registration" or not negative:
            return PiiKind.FRN if foreign else PiiKind.RRN
    if size == 12 and (
        context == "licence" or (lengths == (2, 2, 6, 2) and 11 <= int(digits[:2]) <= 28)
    ):
        return PiiKind.DRIVER_LICENSE
    if 13 <= size <= 19 and context == "card":
        return PiiKind.CARD  # card context: ASR digit slips still leak the number
    if size in (15, 16) and not negative and luhn_valid(digits):
        if len(lengths) == 1 or lengths in ((4, 4, 4, 4), (4, 6, 5)) or max(lengths) <= 2:
            return PiiKind.CARD
    if 10 <= size <= 14 and not negative and _BUSINESS_RE.fullmatch(digits) is None:
        if context == "account" or lengths in _BANK_LAYOUTS:
            return PiiKind.ACCOUNT
    return None


def _end_order(run: DigitRun, ends: list[int], i: int, text: str) -> list[int]:
    """Longest first, but a last group that starts a word ("이거") goes after the shorter."""
    order: list[int] = []
    for j in reversed(ends):
        if j - 1 > i and is_word_start(run.groups[j - 1], text):
            order.extend((j - 1, j))
        elif j not in order:
            order.append(j)
    return list(dict.fromkeys(order))


def _segment(run: DigitRun, text: str, context: str | None) -> Iterator[tuple[int, int, PiiKind]]:
    groups, i = run.groups, 0
    while i < len(groups):
        ends, total = [], 0
        for j in range(i, len(groups)):
            total += len(groups[j].digits)
            if total > _MAX_DIGITS:
                break
            ends.append(j + 1)
        found = None
        for j in _end_order(run, ends, i, text):
            plus = run.plus and i == 0
            for digits, lengths, end in readings(groups[i:j], text):
                long_enough = len(digits) >= 9 or (
                    context in ("phone", "registration") and len(digits) >= _MIN_DIGITS)
                kind = _classify(digits, lengths, plus, context) if long_enough else None
                # "...구이육이고요": when the number read with and without a final 이 are
                # both personal numbers, hide the longer one (a digit must not leak).
                if kind is not None and (found is None or end > found[1]):
                    found = (run.start if plus else groups[i].start, end, kind, j)
            if found:
                break
        if found is None:
            i += 1
            continue
        yield found[0], found[1], found[2]
        i = found[3]


def find_number_pii(text: str) -> Iterator[tuple[int, int, PiiKind]]:
    """Yield (start, end, kind) for every personal number in `text`."""
    for run in find_digit_runs(text, min_digits=_MIN_DIGITS):
        context = _nearest_context(text, run.start) or _context_after(text, run.end)
        yield from _segment(run, text, context)
