"""Masked identifiers: enough to recognise, never enough to use."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.korean.kinds import PiiKind
from agents.korean.masking import MASKABLE_KINDS, mask_identifier


@pytest.mark.parametrize(
    ("kind", "raw", "masked"),
    [
        (PiiKind.PHONE, "010-1234-5678", "010-****-5678"),
        (PiiKind.PHONE, "01098765432", "010-****-5432"),
        (PiiKind.PHONE, "공일공 구팔칠육 오사삼이", "010-****-5432"),  # said, not written
        (PiiKind.PHONE, "02-345-6789", "02-****-6789"),
        (PiiKind.ACCOUNT, "110-234-567890", "****-7890"),
        (PiiKind.CARD, "4111 1111 1111 1111", "****-1111"),
        (PiiKind.RRN, "900101-1234568", "******-*******"),
        (PiiKind.PASSPORT, "M12345678", "*********"),
        (PiiKind.PHONE, "1234-5678", "****"),  # too short to show a tail safely
    ],
)
def test_masked_forms(kind: PiiKind, raw: str, masked: str) -> None:
    assert mask_identifier(kind, raw) == masked


def test_names_and_addresses_are_not_masked_but_redacted() -> None:
    with pytest.raises(ValueError, match="redacted, not masked"):
        mask_identifier(PiiKind.NAME, "김민준")


@given(
    kind=st.sampled_from(sorted(MASKABLE_KINDS)),
    digits=st.text(alphabet="0123456789", min_size=6, max_size=19),
    sep=st.sampled_from(["", "-", " "]),
)
def test_a_mask_shows_at_most_a_prefix_and_the_last_four(
    kind: PiiKind, digits: str, sep: str
) -> None:
    raw = sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))
    masked = mask_identifier(kind, raw)
    shown = re.sub(r"\D", "", masked)
    assert len(shown) <= (7 if kind is PiiKind.PHONE else 4)
    assert digits.endswith(shown[-4:]) if shown else True
    if len(digits) >= 7:  # however it is masked, most of the number is hidden
        assert len(shown) <= len(digits) - 2
