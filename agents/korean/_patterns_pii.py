"""Pattern detectors for e-mail, passport, licence, address and customer-name PII."""

from __future__ import annotations

import re
from collections.abc import Iterator

from agents.korean._address_pii import find_addresses
from agents.korean.kinds import PiiKind

__all__ = ["find_pattern_pii"]

_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*"
    r"(?:@|[ \t]*(?:골뱅이|앳)[ \t]*)"
    r"(?:[A-Za-z0-9-]+(?:[ \t]*(?:\.|닷|점|쩜)[ \t]*[A-Za-z]{2,})+"
    r"|(?:네이버|지메일|다음|한메일|카카오|네이트)(?:[ \t]*(?:닷|점|쩜)[ \t]*(?:컴|넷|co\.kr))?)"
)
# Old passports: a type letter and eight digits; since 2021: letter, 3 digits, letter, 4 digits.
_PASSPORT_RE = re.compile(
    r"(?<![A-Za-z0-9])[MSRODGmsrodg](?:\d{8}|\d{3}[A-Za-z]\d{4})(?![A-Za-z0-9])"
)
_REGIONS = "서울|부산|경기|강원|충북|충남|전북|전남|경북|경남|제주|대구|인천|광주|대전|울산"
_LICENCE_REGION_RE = re.compile(rf"(?:{_REGIONS})[ \t]?\d{{2}}-?\d{{6}}-?\d{{2}}(?![0-9])")
_SURNAME = (
    "(?:남궁|황보|제갈|선우|독고|서문|"
    "[김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진나지엄채원"
    "천방공현함변염여추도소석선설마길연위표명기반왕금옥육맹제모탁국은편용예경봉])"
)
_NAME = f"{_SURNAME}[가-힣]{{1,2}}"
_COPULA_WORDS = "입니다|이에요|예요|이고요?|이구요|이라고|라고|인데요?|이며|씨|님"
_COPULA = rf"(?=(?:{_COPULA_WORDS})|[ \t]*(?:씨|님)(?![가-힣]))"
_STRONG_ENDING = rf"(?=(?:{_COPULA_WORDS})|[ \t.,!?]|$|이요|요|고요|고|이|가|는|은|로|으로)"
_HONORIFIC = "고객님|고객|님|씨"
_NAME_RES = (
    # "제 이름은 홍길동입니다", "성함은 김민수요", "예금주는 이영희" - strong context.
    re.compile(
        r"(?:이름은|이름이|성함은|성함이|성함|명의자는|명의자가|예금주는|예금주가|예금주|가입자명은)"
        rf"[ \t]*(?P<name>{_NAME}){_STRONG_ENDING}"
    ),
    # "저는 홍길동입니다" - weaker context, so only before a copula.
    re.compile(rf"(?:저는|전|나는)[ \t]+(?P<name>{_NAME}){_COPULA}"),
    # "홍길동 고객님", "김민수 씨", "홍길동님" - exactly surname + two syllables.
    re.compile(
        rf"(?<![가-힣\[])(?P<name>{_SURNAME}[가-힣]{{2}})[ \t]?(?:{_HONORIFIC})(?![가-힣])"
    ),
    re.compile(
        rf"(?<![가-힣\[])(?P<name>{_SURNAME}[가-힣]{{2}})(?:이라고|라고)[ \t]?"
        r"(?:합니다|해요|하는데)"
    ),
)
_NOT_NAMES = frozenset(
    "고객 고객님 정말 지금 진짜 조금 이번 이제 이거 우리 한번 안녕 신규 전화 "
    "정상 문의 문자 장애 장애인 노인 주부 주인 엄마 남편 공무원 백수 명의자 "
    "본인 소중한 정회원 전문가 기술자 관리자 담당자 이용자 사용자 가입자 신청자 "
    "보호자 대리인 한국 한국인 이름 성함 학생 선생 기사 이사 부장 과장 차장 "
    "사장 대리 주임 팀장 원장 정도 조회 이용 유심 요금 변경 해지 신청 확인 "
    "안내 문제 상담 상담원 상담사 이상 이하 전체 기존 모든 해당 우수 장기 "
    "기업 법인 김치 정보 임시 조건 방문 최고 최근 최대 최소 한도 유료 전산 "
    "고장 배송 남자 여자 하루 성인 주소 우편 구매 민원 진행 나이 지점 원래 "
    "현재 함께 여기 추가 도움 소개 선택 설정 마음 연락 위약금 기본 기간 반납 "
    "금액 오늘 이렇게 그렇게 이것 그것 저것 조용 나중 명의 가족 부모 자녀 "
    "아들 아이 주말 평일 오전 오후 이분 그분 저분 정회원님 우리집 이동 "
    "이동통신 안녕하 진행중 감사 기다 공지 공식 양해 손해 허락 심사 한국통신 "
    "이메일 전화번 주민 주민번 외국 외국인 임산부 노약자 학부모 직장인 사업자 "
    "대표 어르신 최초 최종 진짜요 고객센 서비스 모르 고민 고객이 정말요 ".split()
)


def _names(text: str) -> Iterator[tuple[int, int, PiiKind]]:
    for pattern in _NAME_RES:
        for match in pattern.finditer(text):
            name = match.group("name")
            if name in _NOT_NAMES or name[:2] in _NOT_NAMES:
                continue
            yield match.start("name"), match.end("name"), PiiKind.NAME


def find_pattern_pii(text: str) -> Iterator[tuple[int, int, PiiKind]]:
    """Yield (start, end, kind) for e-mail, passport, licence, address and name spans."""
    for pattern, kind in (
        (_EMAIL_RE, PiiKind.EMAIL),
        (_PASSPORT_RE, PiiKind.PASSPORT),
        (_LICENCE_REGION_RE, PiiKind.DRIVER_LICENSE),
    ):
        for match in pattern.finditer(text):
            yield match.start(), match.end(), kind
    for start, end in find_addresses(text):
        yield start, end, PiiKind.ADDRESS
    yield from _names(text)
