"""A summary lists each identifier said with the masked form its entry point kept."""

from __future__ import annotations

import datetime as dt

from agents.summary_digest import digest_payload, summary_digest
from agents.summary_items import HeardIdentifier, extract_items
from services.schemas import Intent, SummaryItems

DAY = dt.date(2026, 12, 6)


def test_placeholders_pair_with_kept_identifiers_by_kind_in_text_order() -> None:
    text = "계좌 [계좌번호]로 넣었고 제 번호는 [전화번호], 예전 번호는 [전화번호]예요"
    heard = [HeardIdentifier("phone", "010-****-5678", "v1.a"),
             HeardIdentifier("account", "****-7890", "v1.b"),
             HeardIdentifier("phone", "010-****-1111", "v1.c")]
    items = extract_items([(3, "customer", text)], DAY, {3: heard})
    assert [(i.kind, i.masked, i.sealed, i.seq) for i in items.identifiers] == [
        ("account", "****-7890", "v1.b", 3),
        ("phone", "010-****-5678", "v1.a", 3),
        ("phone", "010-****-1111", "v1.c", 3),
    ]


def test_a_placeholder_nobody_kept_is_listed_by_its_kind_alone() -> None:
    items = extract_items([(0, "customer", "[전화번호]랑 [카드번호]요")], DAY,
                          {0: [HeardIdentifier("phone", "010-****-5678")]})
    assert [(i.kind, i.masked, i.sealed) for i in items.identifiers] == [
        ("phone", "010-****-5678", None), ("card", "[카드번호]", None)]


def test_the_digest_carries_them_onto_the_summary_contract() -> None:
    state = {"utterances": [{
        "seq": 0, "speaker": "customer", "text": "[전화번호]로 문자 주세요",
        "identifiers": [{"kind": "phone", "masked": "010-****-5678", "sealed": "v1.abc"}],
    }]}
    digest = summary_digest(state, [Intent.PLAN_CHANGE], call_date=DAY,  # type: ignore[arg-type]
                            flagged=False)
    items = SummaryItems.model_validate(digest_payload(digest)["items"])
    (identifier,) = items.identifiers
    assert (identifier.masked, identifier.sealed) == ("010-****-5678", "v1.abc")
