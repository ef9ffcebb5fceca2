"""Check digits and birth-date rules for cards and Korean registration numbers."""

from __future__ import annotations

import datetime as dt

__all__ = ["luhn_valid", "registration_birth_date", "rrn_checksum_valid", "frn_checksum_valid"]

_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_CENTURY_BY_GENDER_DIGIT = {
    "1": 1900, "2": 1900, "5": 1900, "6": 1900,
    "3": 2000, "4": 2000, "7": 2000, "8": 2000,
    "9": 1800, "0": 1800,
}


def luhn_valid(digits: str) -> bool:
    """Return True when `digits` (ASCII digits only) passes the Luhn mod-10 check."""
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _weighted_sum(digits: str) -> int:
    return sum((ord(c) - 48) * w for c, w in zip(digits[:12], _RRN_WEIGHTS, strict=True))


def rrn_checksum_valid(digits: str) -> bool:
    """Return True when a 13-digit resident registration number has a valid check digit.

    Numbers issued since October 2020 carry a random last six digits, so a failing
    checksum does not mean the number is not an RRN.
    """
    if len(digits) != 13 or not digits.isdigit():
        return False
    return (11 - _weighted_sum(digits) % 11) % 10 == ord(digits[12]) - 48


def frn_checksum_valid(digits: str) -> bool:
    """Return True when a 13-digit foreigner registration number has a valid check digit."""
    if len(digits) != 13 or not digits.isdigit():
        return False
    return (13 - _weighted_sum(digits) % 11) % 10 == ord(digits[12]) - 48


def registration_birth_date(digits: str) -> dt.date | None:
    """Return the birth date encoded in the first seven digits, or None when impossible."""
    if len(digits) < 7 or not digits[:7].isdigit():
        return None
    century = _CENTURY_BY_GENDER_DIGIT[digits[6]]
    try:
        return dt.date(century + int(digits[:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        return None
