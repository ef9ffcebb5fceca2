"""Reference data for the synthetic carrier: plans, add-on services, devices, names, places."""

from __future__ import annotations

from typing import NamedTuple

from services.schemas import PlanRecord

# Pay-as-you-go data beyond a capped plan's allowance: 0.011원/0.5KB, about 22.5원/MB.
OVERAGE_KRW_PER_MB = 22
# 선택약정 (contract-linked fee discount): 25% of the monthly fee.
SELECTIVE_CONTRACT_RATE = 0.25
FAMILY_BUNDLE_DISCOUNT_KRW = 5_500

PLANS: tuple[PlanRecord, ...] = (
    PlanRecord(
        plan_id="5G-PREMIER-UNL",
        name="5G 프리미어 무제한",
        monthly_fee_krw=89_000,
        data_mb=None,
        voice_min=None,
        overage_krw_per_mb=0,
    ),
    PlanRecord(
        plan_id="5G-STANDARD-UNL",
        name="5G 스탠다드 데이터 무제한",
        monthly_fee_krw=75_000,
        data_mb=None,
        voice_min=None,
        overage_krw_per_mb=0,
    ),
    PlanRecord(
        plan_id="5G-LIGHT-24G",
        name="5G 라이트 플러스",
        monthly_fee_krw=61_000,
        data_mb=24 * 1024,
        voice_min=None,
        overage_krw_per_mb=OVERAGE_KRW_PER_MB,
    ),
    PlanRecord(
        plan_id="5G-SLIM-11G",
        name="5G 슬림",
        monthly_fee_krw=55_000,
        data_mb=11 * 1024,
        voice_min=None,
        overage_krw_per_mb=OVERAGE_KRW_PER_MB,
    ),
    PlanRecord(
        plan_id="LTE-DATA-UNL",
        name="LTE 데이터 무제한",
        monthly_fee_krw=69_000,
        data_mb=None,
        voice_min=None,
        overage_krw_per_mb=0,
    ),
    PlanRecord(
        plan_id="LTE-BASIC-2G",
        name="LTE 베이직",
        monthly_fee_krw=33_000,
        data_mb=2560,
        voice_min=300,
        overage_krw_per_mb=OVERAGE_KRW_PER_MB,
    ),
)
PLAN_WEIGHTS = (0.16, 0.2, 0.14, 0.2, 0.14, 0.16)


class AddOn(NamedTuple):
    """A value-added service (부가서비스) a customer can subscribe to."""

    code: str
    name: str
    monthly_krw: int


VAS: tuple[AddOn, ...] = (
    AddOn("VAS-COLORING", "컬러링", 1_650),
    AddOn("VAS-VCOLORING", "V컬러링", 3_300),
    AddOn("VAS-INSURANCE", "휴대폰 분실·파손 보험", 6_900),
    AddOn("VAS-MUSIC", "뮤직 스트리밍 플러스", 7_900),
    AddOn("VAS-SPAMBLOCK", "스팸차단 플러스", 1_100),
)


class Device(NamedTuple):
    """A handset sold on instalments."""

    name: str
    price_krw: int


DEVICES: tuple[Device, ...] = (
    Device("갤럭시 S24", 1_155_000),
    Device("갤럭시 Z 플립6", 1_485_000),
    Device("아이폰 15", 1_250_000),
    Device("아이폰 16 프로", 1_550_000),
    Device("갤럭시 A35", 499_400),
)

MERCHANTS: tuple[str, ...] = (
    "구글플레이",
    "애플 앱스토어",
    "카카오페이",
    "넷마블 게임",
    "쿠팡",
    "배달의민족",
)


class Destination(NamedTuple):
    """A roaming destination and its daily data-pass price."""

    code: str
    name: str
    daily_pass_krw: int


DESTINATIONS: tuple[Destination, ...] = (
    Destination("JP", "일본", 11_000),
    Destination("VN", "베트남", 11_000),
    Destination("US", "미국", 13_200),
    Destination("TH", "태국", 11_000),
    Destination("FR", "프랑스", 13_200),
    Destination("CN", "중국", 11_000),
)

# Most common Korean surnames, roughly in frequency order, and common given names.
SURNAMES: tuple[str, ...] = (
    "김",
    "이",
    "박",
    "최",
    "정",
    "강",
    "조",
    "윤",
    "장",
    "임",
    "한",
    "오",
    "서",
    "신",
    "권",
    "황",
)
SURNAME_WEIGHTS = (21, 15, 8, 5, 4, 2.3, 2.1, 2, 2, 1.6, 1.5, 1.5, 1.5, 1.4, 1.3, 1.3)
GIVEN_NAMES: tuple[str, ...] = (
    "민준",
    "서준",
    "도윤",
    "예준",
    "시우",
    "하준",
    "지호",
    "주원",
    "지훈",
    "현우",
    "준서",
    "건우",
    "서연",
    "서윤",
    "지우",
    "하은",
    "민서",
    "지민",
    "수빈",
    "윤서",
    "채원",
    "지은",
    "영숙",
    "정희",
    "순자",
    "영호",
    "성민",
    "동현",
    "혜진",
    "미경",
    "상훈",
    "은정",
)

PAYMENT_METHODS: tuple[str, ...] = ("자동이체", "신용카드 자동납부", "계좌이체", "가상계좌")


def plan_by_id(plan_id: str) -> PlanRecord:
    """The catalog plan with this id."""
    for plan in PLANS:
        if plan.plan_id == plan_id:
            return plan
    raise KeyError(plan_id)


def vas_by_code(code: str) -> AddOn:
    """The add-on service with this code."""
    for addon in VAS:
        if addon.code == code:
            return addon
    raise KeyError(code)


def truncate_won(amount: float) -> int:
    """Korean bills drop amounts under 10 won (원 단위 절사)."""
    return int(amount) // 10 * 10
