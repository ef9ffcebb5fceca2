"""Hand-written PII cases: spoken ASR forms, particles, checksums and hard negatives.

Spans are marked inline as <kind:value>; `HARD_CASES` holds them as text plus offsets.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["HARD_CASES"]

_MARK_RE = re.compile(r"<([a-z_]+):([^>]*)>")

_MARKED = (
    # Spoken phone numbers, the way Whisper writes them.
    "제 번호는 <phone:공일공 일이삼사 오육칠팔>이에요",
    "<phone:영일영에 일이삼사에 오육칠팔>로 연락 주세요",
    "네 번호 <phone:공일공 구팔칠육 오사삼이>요",
    "<phone:010 일이삼사 5678>로 보내 주세요",
    "<phone:01012345678>로 문자 주세요",
    "휴대폰 <phone:010 1234 5678> 맞아요",
    "사무실 번호는 <phone:02-123-4567>이고 제 번호는 <phone:010-9876-5432>예요",
    "<phone:+82 10-2345-6789> 로밍 중이에요",
    "번호가 <phone:공일공 삼사오 육칠팔구>였는데 바꿨어요",
    "연락처 <phone:공 일 공 이 삼 사 오 육 칠 팔 구>요",
    "집 번호 <phone:공삼일 칠팔구 일이삼사>입니다",
    "<phone:010.2222.3333> 이걸로 변경해 주세요",
    # Registration numbers: checksum valid, post-2020 (checksum fails), spoken.
    "주민번호는 <rrn:900101-1234568>입니다",
    "주민번호 <rrn:211015-3847261>이요",
    "<rrn:팔오공일공일 다시 일이삼사오육칠>이에요",
    "주민등록번호 <rrn:9001011234568>이에요",
    "생년월일은 구십년 일월 일일이고 주민번호는 <rrn:900101 2345678>입니다",
    "외국인등록번호 <frn:900101-5123456>요",
    "등록번호는 <frn:051231-7654321>입니다",
    # Cards: Luhn valid, Luhn failing in card context, spoken.
    "카드번호 <card:4111-1111-1111-1111>로 결제해 주세요",
    "카드 번호는 <card:5105 1051 0510 5100>이에요",
    "카드번호가 <card:1234-5678-9012-3456>인데 결제가 안 돼요",
    "카드 <card:사일일일 일일일일 일일일일 일일일일>이요",
    "<card:4111111111111111> 이 번호로 자동결제요",
    # Accounts.
    "계좌번호 <account:110-123-456789>로 환불해 주세요",
    "국민은행 <account:123456-01-234567>로 입금해 주세요",
    "환불 계좌는 <account:일일공 일이삼 사오육칠팔구>요",
    "통장 번호 <account:3333-01-2345678>이에요",
    # E-mail, passport, licence, names, addresses.
    "이메일은 <email:hong.gildong@naver.com>이에요",
    "메일은 <email:minsu92 골뱅이 gmail 닷 com>이요",
    "여권번호 <passport:M12345678>로 등록돼 있어요",
    "새 여권이라 <passport:M123A4567>이에요",
    "면허번호 <driver_license:12-34-567890-12>입니다",
    "제 이름은 <name:홍길동>입니다",
    "<name:김민수> 고객님 맞으십니까",
    "성함은 <name:이영희>예요",
    "저는 <name:박지훈>이라고 합니다",
    "명의자는 <name:최서연>이고요 제가 남편이에요",
    "<name:남궁민수>님 안녕하세요",
    "주소는 <address:서울시 강남구 테헤란로 123>이에요",
    "배송지 <address:경기도 성남시 분당구 판교역로 235 101동 1203호>로 해 주세요",
    # Hard negatives: things with numbers that are not personal data.
    "이번 달 요금이 32000원 나왔어요",
    "삼만 이천 원 더 나왔어요",
    "고객센터 1588-0010으로 전화했어요",
    "주문번호 2024061500012345 조회해 주세요",
    "운송장 번호 6012-3456-7890 확인해 주세요",
    "택배 송장 번호가 123456789012예요",
    "5G 프리미어 에센셜 요금제요",
    "2024년 6월 15일에 가입했어요",
    "모델명은 SM-G991N이에요",
    "IMEI 356938035643809 맞는지 봐 주세요",
    "사업자등록번호 123-45-67890이에요",
    "승인번호 30012345로 취소해 주세요",
    "데이터 110GB 중에 20GB 남았어요",
    "24개월 약정에 월 89000원이요",
    "일이 있어서 이번 달은 늦게 낼게요",
    "이사 가서 주소 바꾸려고요",
    "오늘 구독 해지하려고요",
    "저는 고객입니다",
    "소중한 고객님 감사합니다",
    "기존 고객님은 할인돼요",
    "저는 정말 억울해요",
    "카드 끝자리 1234요",
    "두 번 결제됐어요 이만 구천 원씩이요",
    "쿠폰 번호 1234-5678-9012-3456 등록이 안 돼요",
    "아이폰 15 프로 256기가요",
    "080-123-4567 수신거부 번호예요",
    "접수번호 20240615-000123이에요",
    "공일공 번호로 시작하는 거 맞죠",
    "이천이십사년 칠월 이십일에 해지했어요",
)


def _parse(marked: str, index: int) -> dict[str, Any]:
    text, spans, cursor = [], [], 0
    length = 0
    for match in _MARK_RE.finditer(marked):
        before = marked[cursor : match.start()]
        text.append(before)
        length += len(before)
        value = match.group(2)
        spans.append([length, length + len(value), match.group(1)])
        text.append(value)
        length += len(value)
        cursor = match.end()
    text.append(marked[cursor:])
    return {"text": "".join(text), "spans": spans, "id": f"hard-{index:03d}", "split": "dev"}


HARD_CASES: tuple[dict[str, Any], ...] = tuple(_parse(m, i) for i, m in enumerate(_MARKED))
