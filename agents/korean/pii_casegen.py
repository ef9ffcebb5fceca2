"""Seeded generator of labeled Korean PII cases (positives, spoken forms, hard negatives).

The values are drawn independently of the detector (random dates, Luhn-completed card
numbers, bank layouts) so the set measures the redactor instead of mirroring it. Run
`python -m agents.korean.pii_casegen` to rewrite data/pii_cases.jsonl.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agents.korean.checksums import luhn_valid

__all__ = ["generate_cases"]

_SPOKEN = "영일이삼사오육칠팔구"
_SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍전고문양손배백허남심노하곽성차주우구민진"
_GIVEN = (
    "민수 지영 서연 현우 지훈 수빈 예린 도윤 하준 서준 지민 영희 철수 미경 정호 상철 은지 혜진 "
    "동현 승민 유진 재원 성민 경숙 순자 영수 태현 나연 소연 민호 지수 준영 보람 다은 가은 시우"
).split()
_BANKS = tuple("국민은행 신한은행 우리은행 하나은행 농협 카카오뱅크 기업은행 토스뱅크".split())
_BANK_LAYOUTS = ((3, 2, 6), (3, 3, 6), (6, 2, 6), (3, 6, 5), (4, 3, 6), (4, 2, 7), (3, 4, 4, 2))
_END = ("", "요", "이에요", "입니다", "로요", " 맞아요", " 이거예요", "이고요")

Case = dict[str, Any]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _group(digits: str, layout: tuple[int, ...]) -> list[str]:
    out, pos = [], 0
    for size in layout:
        out.append(digits[pos : pos + size])
        pos += size
    return out


def _render(rng: random.Random, groups: list[str], spoken: float = 0.35) -> str:
    """Write groups as ASR might: hyphens, spaces, no separator, or Hangul digits."""
    if rng.random() < spoken:
        zero = rng.choice("공영")
        said = ["".join(zero if c == "0" else _SPOKEN[int(c)] for c in g) for g in groups]
        if rng.random() < 0.25:  # mixed: keep one group written
            k = rng.randrange(len(groups))
            said[k] = groups[k]
        return rng.choice((" ", "에 ", " 다시 ", " ")).join(said)
    return rng.choice(("-", "-", " ", "")).join(groups)


def _phone(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.7:
        groups = ["010", _digits(rng, 4), _digits(rng, 4)]
    elif kind < 0.8:
        groups = ["02", _digits(rng, rng.choice((3, 4))), _digits(rng, 4)]
    elif kind < 0.9:
        groups = [rng.choice(("031", "051", "062", "070")), _digits(rng, 4), _digits(rng, 4)]
    else:
        return f"+82 10-{_digits(rng, 4)}-{_digits(rng, 4)}"
    return _render(rng, groups)


def _registration(rng: random.Random, foreign: bool) -> str:
    born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 80))
    modern = born.year >= 2000
    gender = rng.choice(("78" if modern else "56") if foreign else ("34" if modern else "12"))
    return _render(rng, [born.strftime("%y%m%d"), gender + _digits(rng, 6)])


def _card(rng: random.Random) -> str:
    body = rng.choice(("4", "5", "9")) + _digits(rng, 14)
    check = next(d for d in "0123456789" if luhn_valid(body + d))
    return _render(rng, _group(body + check, (4, 4, 4, 4)), spoken=0.25)


def _account(rng: random.Random) -> str:
    layout = rng.choice(_BANK_LAYOUTS)
    return _render(rng, _group(_digits(rng, sum(layout)), layout), spoken=0.25)


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN)


def _has_batchim(word: str) -> bool:
    return (ord(word[-1]) - 0xAC00) % 28 != 0


_POSITIVE: list[tuple[str, Callable[[random.Random], str], tuple[str, ...]]] = [
    ("phone", _phone, (
        "제 번호는 {x}{e}", "연락처 {x}로 문자 주세요", "휴대폰 번호가 {x}{e}",
        "네 {x}으로 전화 주시면 돼요", "집 전화는 {x}이고 낮에는 안 받아요",
        "번호 바뀌었어요 {x}{e}", "{x} 이 번호로 인증 문자 보내 주세요",
    )),
    ("rrn", lambda r: _registration(r, False), (
        "주민번호는 {x}{e}", "주민등록번호 {x} 불러 드릴게요", "본인 확인은 {x}{e}",
        "생년월일 포함해서 {x}{e}", "주민번호 뒷자리까지 말씀드리면 {x}{e}",
    )),
    ("frn", lambda r: _registration(r, True), (
        "외국인등록번호는 {x}{e}", "저 외국인이라서 등록번호가 {x}{e}",
    )),
    ("card", _card, (
        "카드번호는 {x}{e}", "결제 카드 {x}로 바꿔 주세요", "이 카드 {x} 자동이체 걸어 주세요",
        "{x} 이 카드로 결제했어요",
    )),
    ("account", _account, (
        "환불은 {b} 계좌 {x}로 해 주세요", "계좌번호 {x}{e}", "{b} {x}로 입금해 주세요",
        "통장 번호가 {x}{e}", "자동이체 계좌를 {b} {x}로 바꾸고 싶어요",
    )),
    ("email", lambda r: f"{r.choice(('hong', 'minsu', 'jy.kim', 'parkcs'))}{r.randrange(1, 999)}"
     f"@{r.choice(('naver.com', 'gmail.com', 'daum.net', 'kakao.com'))}", (
        "이메일은 {x}{e}", "청구서는 {x}로 보내 주세요", "메일 주소 {x} 맞아요",
    )),
    ("passport", lambda r: r.choice("MS") + (
        _digits(r, 8) if r.random() < 0.5 else _digits(r, 3) + r.choice("ABCD") + _digits(r, 4)), (
        "여권번호는 {x}{e}", "로밍 신청할 때 여권 {x} 등록했어요",
    )),
    ("driver_license", lambda r: "-".join(
        (str(r.randrange(11, 29)), _digits(r, 2), _digits(r, 6), _digits(r, 2))), (
        "운전면허 번호는 {x}{e}", "면허증 번호 {x}로 본인 확인해 주세요",
    )),
    ("name", _name, (
        "제 이름은 {x}입니다", "{x} 고객님 맞으신가요", "성함은 {x}{cop}", "저는 {x}{cop}",
        "명의자는 {x}{cop}", "{x} 씨 명의로 돼 있어요", "안녕하세요 {x}님",
    )),
]

_NEGATIVE = (
    "이번 달 요금이 {amount}원 나왔어요", "주문번호 {d16} 조회해 주세요",
    "운송장 번호는 {d12}{e}", "택배 송장 {d4}-{d4}-{d4} 확인 부탁드려요",
    "5G 프리미어 요금제로 바꾸고 싶어요", "{y}년 {m}월 {dd}일에 가입했어요",
    "고객센터 1588-{d4}로 전화했는데 안 받아요", "080-{d3}-{d4} 무료 번호죠",
    "데이터 {n}GB 남았어요", "{n}개월 약정이에요", "접수번호 {y}{m2}{dd2}-{d6}{e}",
    "모델명 SM-S918N 갤럭시요", "IMEI {imei} 맞는지 봐 주세요", "사업자등록번호 {d3}-{d2}-{d5}",
    "승인번호 {d8}로 취소해 주세요", "삼만 이천 원이 더 나왔어요", "칠월 이십일에 빠져나갔어요",
    "일이 있어서 이번 달은 늦게 낼게요", "이사 때문에 주소 변경하려고요", "오늘 구독 해지해 주세요",
    "저는 고객입니다", "소중한 고객님 감사합니다", "기존 고객님은 할인이 돼요",
    "저는 학생이에요", "정말 감사합니다", "카드 끝자리 {d4}{e}", "두 번이나 결제됐어요",
    "요금이 {amount}원인데 {amount2}원으로 청구됐어요",
    "쿠폰 번호 {d4}-{d4}-{d4}-{d4} 등록이 안 돼요",
    "강남구 쪽 대리점에서 개통했어요", "서울에 살아요", "아이폰 15 프로 256기가요",
    "오 기가 더 주세요", "일억 원 나올 리가 없잖아요", "시리얼 번호 {d16}{e}",
    "갤럭시 S24 울트라 512GB 모델이요", "{n}시 {n}분쯤 통화했어요", "번호이동 하려고요",
)


def _fill(rng: random.Random, template: str) -> str:
    values = {
        "amount": str(rng.randrange(1, 200) * 100 + rng.choice((0, 50000))),
        "amount2": str(rng.randrange(1, 200) * 1000),
        "y": str(rng.randrange(2015, 2026)), "m": str(rng.randrange(1, 13)),
        "dd": str(rng.randrange(1, 29)), "m2": f"{rng.randrange(1, 13):02d}",
        "dd2": f"{rng.randrange(1, 29):02d}", "n": str(rng.randrange(1, 60)),
        "imei": "35" + _digits(rng, 13), "e": rng.choice(_END),
        **{f"d{k}": _digits(rng, k) for k in (2, 3, 4, 5, 6, 8, 12, 16)},
    }
    return template.format(**values)


def _positive(rng: random.Random) -> Case:
    kind, make, templates = rng.choice(_POSITIVE)
    value, template = make(rng), rng.choice(templates)
    cop = ("이에요", "입니다", "이고요") if _has_batchim(value) else ("예요", "입니다", "고요")
    prefix, suffix = template.split("{x}")
    fill = {"e": rng.choice(_END), "b": rng.choice(_BANKS), "cop": rng.choice(cop)}
    prefix, suffix = prefix.format(**fill), suffix.format(**fill)
    start = len(prefix)
    return {"text": prefix + value + suffix, "spans": [[start, start + len(value), kind]]}


def generate_cases(seed: int = 20240615, count: int = 400, heldout: float = 0.3) -> list[Case]:
    """Return `count` cases (about 60% positive), each tagged dev or heldout."""
    rng = random.Random(seed)
    cases: list[Case] = []
    for index in range(count):
        if rng.random() < 0.6:
            case = _positive(rng)
        else:
            case = {"text": _fill(rng, rng.choice(_NEGATIVE)), "spans": []}
        case["id"] = f"gen-{index:04d}"
        case["split"] = "heldout" if rng.random() < heldout else "dev"
        cases.append(case)
    return cases


if __name__ == "__main__":  # pragma: no cover - maintenance entrypoint
    from agents.korean.pii_hardcases import HARD_CASES

    out = Path(__file__).with_name("data") / "pii_cases.jsonl"
    rows = [*HARD_CASES, *generate_cases()]
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
