"""Hand-written cases: amounts, identifiers and who owes which follow-up action."""

from __future__ import annotations

import datetime as dt

from agents.summary_items import extract_items

CALL_DATE = dt.date(2026, 12, 6)  # a Sunday


def _lines(*turns: tuple[str, str]) -> list[str]:
    items = extract_items([(i, s, t) for i, (s, t) in enumerate(turns)], CALL_DATE)
    return [action.line() for action in items.actions]


def test_a_request_binds_the_other_side_and_a_promise_the_speaker() -> None:
    assert _lines(("agent", "다음 주 화요일까지 서류 제출해 주세요.")) == [
        "고객: 12월 8일(화)까지 서류 제출"
    ]
    assert _lines(("agent", "환급 결과는 문자로 안내해 드리겠습니다.")) == [
        "상담사: 문자 안내"
    ]
    assert _lines(("customer", "결과 나오면 문자로 보내 주세요.")) == ["상담사: 문자 안내"]
    assert _lines(("customer", "내일 오후 세 시 반에 다시 전화할게요.")) == [
        "고객: 12월 7일(월)에 다시 연락"
    ]


def test_a_passive_plan_binds_the_company() -> None:
    assert _lines(("agent", "삼만 오천 원은 다음 달 요금에서 환급될 예정입니다.")) == [
        "회사: 환급 처리"
    ]


def test_questions_and_plain_statements_commit_nobody() -> None:
    assert _lines(("agent", "서류 제출하시겠어요?"), ("customer", "문자가 왔어요.")) == []


def test_each_sentence_has_its_own_owner() -> None:
    said = ("customer", "이번 달 말까지 납부할게요. 처리되면 연락 주세요.")
    assert _lines(said) == ["고객: 12월 31일(목)까지 요금 납부", "상담사: 다시 연락"]


def test_a_restated_duty_is_listed_once_with_its_latest_date() -> None:
    lines = _lines(("agent", "서류 제출해 주세요."), ("agent", "모레까지 서류 제출해 주세요."))
    assert lines == ["고객: 12월 8일(화)까지 서류 제출"]


def test_amounts_are_won_from_the_normalizer_without_repeats() -> None:
    items = extract_items(
        [(0, "customer", "만 이천 원이 두 번 빠져나갔어요."),
         (1, "agent", "12,000원 중복 청구가 맞습니다. 삼만 원 이하라 바로 감면됩니다.")],
        CALL_DATE,
    )
    assert [(a.krw, a.seq) for a in items.amounts] == [(12000, 0), (30000, 1)]


def test_identifiers_keep_only_kind_and_masked_form() -> None:
    items = extract_items(
        [(3, "customer", "[전화번호]로 연락 주시고 환불은 [계좌번호]로 해 주세요.")], CALL_DATE
    )
    assert [(i.kind, i.masked, i.seq) for i in items.identifiers] == [
        ("phone", "[전화번호]", 3), ("account", "[계좌번호]", 3)
    ]


def test_absolute_dates_and_lone_times() -> None:
    items = extract_items(
        [(0, "agent", "12월 20일까지 내 주세요."), (1, "customer", "오후 두 시에 갈게요.")],
        CALL_DATE,
    )
    assert [d.value for d in items.dates] == ["2026-12-20", "2026-12-06T14:00"]


def test_complaints_claims_and_in_call_checks_are_not_duties() -> None:
    assert _lines(("customer", "벌써 몇 번째 전화하는지 모르겠어요.")) == []
    assert _lines(("customer", "두 번 빠져나갔어요. 환불해 주세요.")) == []
    assert _lines(("agent", "네, 확인해 보겠습니다.")) == []
    # "보내 주세요" asks for a message; its 내 주 is no payment.
    assert _lines(("customer", "얼마인지 문자로 보내 주세요.")) == ["상담사: 문자 안내"]
