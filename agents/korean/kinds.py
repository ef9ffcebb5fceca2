"""The kinds of personal data the redactor knows and their Korean placeholders."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["PLACEHOLDERS", "PiiKind"]


class PiiKind(StrEnum):
    """Kinds of personal data the redactor finds."""

    RRN = "rrn"
    FRN = "frn"
    PHONE = "phone"
    CARD = "card"
    ACCOUNT = "account"
    EMAIL = "email"
    PASSPORT = "passport"
    DRIVER_LICENSE = "driver_license"
    NAME = "name"
    ADDRESS = "address"


PLACEHOLDERS: dict[PiiKind, str] = {
    PiiKind.RRN: "[주민등록번호]",
    PiiKind.FRN: "[외국인등록번호]",
    PiiKind.PHONE: "[전화번호]",
    PiiKind.CARD: "[카드번호]",
    PiiKind.ACCOUNT: "[계좌번호]",
    PiiKind.EMAIL: "[이메일]",
    PiiKind.PASSPORT: "[여권번호]",
    PiiKind.DRIVER_LICENSE: "[운전면허번호]",
    PiiKind.NAME: "[이름]",
    PiiKind.ADDRESS: "[주소]",
}
