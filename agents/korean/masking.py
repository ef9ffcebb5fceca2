"""Masked forms of identifiers said in a call, for people who may not see the whole number.

The masked form is what a summary shows to staff: enough to tell two numbers apart and for
the caller to recognise their own, never enough to use. Digits are read the way the
redactor reads them, so "공일공 일이삼사 오육칠팔" masks like "010-1234-5678".
- phone: the prefix and the last four digits ("010-****-5678"), as Korean carriers print it;
- account and card: the last four digits only ("****-1234");
- registration numbers, passports and licences: nothing at all, they identify a person.
"""

from __future__ import annotations

from agents.korean.digits import find_digit_runs
from agents.korean.kinds import PiiKind

__all__ = ["MASKABLE_KINDS", "mask_identifier"]

MASKABLE_KINDS = frozenset({
    PiiKind.PHONE, PiiKind.ACCOUNT, PiiKind.CARD, PiiKind.RRN, PiiKind.FRN,
    PiiKind.PASSPORT, PiiKind.DRIVER_LICENSE,
})
_WHOLLY_HIDDEN = {
    PiiKind.RRN: "******-*******",
    PiiKind.FRN: "******-*******",
    PiiKind.PASSPORT: "*********",
    PiiKind.DRIVER_LICENSE: "**-**-******-**",
}
_SHOWN_TAIL = 4


def mask_identifier(kind: PiiKind, raw: str) -> str:
    """The masked form of `raw`, an identifier of `kind` as the redactor found it.

    Raises:
        ValueError: `kind` is not an identifier (names, addresses and e-mails are not masked,
            they are only redacted).
    """
    if kind not in MASKABLE_KINDS:
        raise ValueError(f"{kind} is redacted, not masked")
    if kind in _WHOLLY_HIDDEN:
        return _WHOLLY_HIDDEN[kind]
    digits = _digits(raw)
    if len(digits) <= _SHOWN_TAIL * 2:  # too short to show a tail and hide enough
        return "****"
    tail = digits[-_SHOWN_TAIL:]
    if kind is PiiKind.PHONE:
        head = "02" if digits.startswith("02") else digits[:3]
        return f"{head}-****-{tail}"
    return f"****-{tail}"


def _digits(raw: str) -> str:
    """The digits of `raw`, spoken ("공일공") or written, in order."""
    return "".join(group.digits for run in find_digit_runs(raw) for group in run.groups)
