"""Korean PII redaction: find personal data in (ASR) text and replace it with typed placeholders.

Decisions worth knowing:
- Resident/foreigner registration numbers need a valid birth date and gender digit; the
  checksum only raises confidence, since numbers issued after October 2020 fail it.
- Business numbers (15XX-XXXX, 080) are public company lines and are not redacted.
- A 15/16-digit number is a card when it passes Luhn; with a card context word nearby
  ("카드") any 13-19 digit number is redacted, because ASR digit slips break the checksum.
- Bank accounts need an account context word (계좌, 통장, 입금 ...) or a known bank layout.
- Identifiers of things (주문, 송장, 모델, 접수 ...) veto the context-only rules.
- An address needs a street or lot with its number, or a building's dong/ho; a district
  alone ("강남구에 있는 대리점") stays (see `_address_pii`).
Particles stay outside the placeholder: "01012345678로" -> "[전화번호]로".
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.korean._numbers_pii import find_number_pii
from agents.korean._patterns_pii import find_pattern_pii
from agents.korean.kinds import PLACEHOLDERS, PiiKind

__all__ = ["PiiKind", "PiiSpan", "Redaction", "find_pii", "redact"]

# When spans overlap, the more specific detector wins.
_PRIORITY = {
    PiiKind.EMAIL: 0, PiiKind.RRN: 1, PiiKind.FRN: 1, PiiKind.PASSPORT: 2,
    PiiKind.DRIVER_LICENSE: 2, PiiKind.CARD: 3, PiiKind.PHONE: 3, PiiKind.ACCOUNT: 4,
    PiiKind.ADDRESS: 5, PiiKind.NAME: 6,
}


@dataclass(frozen=True)
class PiiSpan:
    """One redacted span; `start`/`end` index the original text."""

    start: int
    end: int
    kind: PiiKind
    placeholder: str


@dataclass(frozen=True)
class Redaction:
    """Redacted text and the spans of the original text that were replaced."""

    text: str
    spans: tuple[PiiSpan, ...]


def find_pii(text: str) -> tuple[PiiSpan, ...]:
    """Return non-overlapping PII spans in `text`, ordered by position."""
    candidates = [*find_number_pii(text), *find_pattern_pii(text)]
    candidates.sort(key=lambda c: (_PRIORITY[c[2]], c[0] - c[1], c[0]))
    chosen: list[tuple[int, int, PiiKind]] = []
    taken = bytearray(len(text))  # linear in the text, however many spans it holds
    for start, end, kind in candidates:
        if not any(taken[start:end]):
            taken[start:end] = b"\x01" * (end - start)
            chosen.append((start, end, kind))
    chosen.sort()
    return tuple(PiiSpan(s, e, k, PLACEHOLDERS[k]) for s, e, k in chosen)


def redact(text: str) -> Redaction:
    """Return `text` with personal data replaced by typed Korean placeholders.

    Args:
        text: One utterance or chat message, punctuation and spacing as ASR produced it.

    Returns:
        The redacted text and the replaced spans (offsets into `text`).
    """
    spans = find_pii(text)
    if not spans:
        return Redaction(text=text, spans=())
    parts: list[str] = []
    cursor = 0
    for span in spans:
        parts.append(text[cursor : span.start])
        parts.append(span.placeholder)
        cursor = span.end
    parts.append(text[cursor:])
    return Redaction(text="".join(parts), spans=spans)
