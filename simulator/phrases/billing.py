"""Billing-dispute phrases: how customers contest a charge, and how the agent closes it."""

# case -> register -> templates. Cases: the anomaly kinds, plus the valid look-alikes
# ("roaming_valid", "overage_valid"); a correct proration is contested with the same words.
DISPUTE_OPENINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "duplicate": {
        "plain": (
            "{month} 요금 청구서를 보니까 {charge:이/가} 두 번 청구됐더라고요.",
            "{month} 청구서에 {charge:이/가} 똑같은 게 두 번 찍혀 있어요. 중복 청구 아닌가요?",
            "요금 명세서 보다가 알았는데요, {month}에 {charge:이/가} 이중으로 나갔어요.",
        ),
        "amount": (
            "{month} 요금에 {charge} {amount:이/가} 두 번이나 빠져나갔어요. 환불해 주세요.",
            "{charge:이/가} {month}에 {amount}씩 두 번 청구됐는데 이거 중복 맞죠?",
        ),
        "casual": ("{month} 요금에 {charge} 두 번 나갔던데? 이거 뭐야, 빨리 돌려줘.",),
    },
    "roaming": {
        "plain": (
            "저 해외에 나간 적이 없는데 {month} 요금에 로밍 요금이 청구됐어요.",
            "{month} 청구서에 로밍 요금이 있던데요, 저는 외국 간 적이 전혀 없거든요.",
            "로밍을 쓴 적이 없는데 {month} 로밍 데이터 요금이 나왔어요. 확인 좀 해 주세요.",
        ),
        "amount": (
            "해외 간 적도 없는데 {month} 요금에 로밍 요금이 {amount:이/가} 나왔어요.",
            "{month} 청구서 보니까 로밍 요금 {amount:이/가} 붙어 있는데 저 한국에만 있었어요.",
        ),
        "casual": ("나 외국 간 적도 없는데 로밍 요금이 왜 나와? {month} 요금 좀 봐 줘.",),
    },
    "roaming_valid": {
        "plain": (
            "{month}에 {country} 다녀오긴 했는데 로밍 요금이 너무 많이 나온 것 같아요.",
            "{country} 여행 갔다 왔는데요, {month} 로밍 요금이 이렇게 나오는 게 맞나요?",
        ),
        "amount": (
            "{country} 갔다 왔는데 {month} 로밍 요금이 {amount:이나/나} 나왔어요. 맞아요?",
            "{month} 로밍 요금 {amount:이/가} 청구됐는데 좀 이상한 것 같아서요.",
        ),
        "casual": ("{country} 좀 다녀왔는데 {month} 로밍비가 왜 이렇게 많이 나와?",),
    },
    "vas": {
        "plain": (
            "{charge:은/는} 가입한 적이 없는데 {month} 요금에 청구가 됐어요.",
            "제가 신청하지도 않은 {charge:이/가} {month} 명세서에 들어가 있네요.",
            "부가서비스 {charge:이/가} {month} 요금에 붙어 있는데 저는 동의한 적이 없어요.",
        ),
        "amount": (
            "{month} 요금에 {charge} {amount:이/가} 나갔는데 저 그거 가입 안 했거든요.",
            "가입도 안 한 {charge} 요금 {amount:이/가} {month}에 빠져나갔어요. 환불해 주세요.",
        ),
        "casual": ("{charge} 그거 나 가입한 적 없는데 {month}에 왜 돈이 나가?",),
    },
    "overage": {
        "plain": (
            "저 무제한 요금제 쓰는데 {month} 요금에 데이터 초과 요금이 붙었어요.",
            "데이터 무제한인데 초과 사용료가 청구되는 게 말이 돼요? {month} 요금이요.",
        ),
        "amount": (
            "무제한 요금제인데 {month}에 데이터 초과 요금이 {amount:이나/나} 나왔어요.",
            "{plan} 쓰고 있는데 {month} 데이터 초과 사용료 {amount:이/가} 청구됐어요.",
        ),
        "casual": ("나 무제한인데 데이터 초과 요금이 왜 나와? {month} 거.",),
    },
    "overage_valid": {
        "plain": (
            "{month} 요금에 데이터 초과 사용료가 나왔는데 이게 뭔지 모르겠어요.",
            "{month}에 데이터를 그렇게 많이 안 쓴 것 같은데 초과 요금이 청구됐어요.",
        ),
        "amount": (
            "{month}에 데이터 초과 요금이 {amount:이/가} 나왔는데 잘못된 거 아닌가요?",
            "{month} 요금에 데이터 초과 사용료 {amount:이/가} 붙어 있는데 확인 좀 해 주세요.",
        ),
        "casual": ("{month} 데이터 초과 요금 {amount} 나왔던데 이거 맞아?",),
    },
    "proration": {
        "plain": (
            "{month}에 요금제를 바꿨는데 일할 계산이 잘못된 것 같아요. 요금이 너무 많이 나왔어요.",
            "중간에 {plan:으로/로} 요금제 변경했는데 {month} 요금이 한 달 치가 다 나간 것 같아요.",
            "요금제 변경한 달 요금이 이상해요. {month} 일할 계산 좀 확인해 주세요.",
        ),
        "amount": (
            "{month}에 요금제 바꿨는데 {amount:이나/나} 청구됐어요. 일할 계산 제대로 된 거 맞아요?",
        ),
        "casual": ("요금제 바꾼 달 요금이 왜 이렇게 많이 나와? {month} 거 다시 계산해 줘.",),
    },
}

DISPUTE_RESOLUTIONS: dict[str, tuple[str, ...]] = {
    "credit_issued": (
        "확인해 보니 {month} 청구분에 잘못 부과된 내역이 있습니다. "
        "해당 금액은 바로 조정해 드리겠습니다.",
        "불편을 드려 죄송합니다, 고객님. "
        "잘못 청구된 금액은 다음 달 요금에서 차감 처리해 드리겠습니다.",
    ),
    "pending_approval": (
        "확인 결과 조정이 필요한 금액으로 보입니다. "
        "금액이 커서 담당 부서 승인 후 처리해 드리겠습니다.",
        "해당 건은 책임자 확인이 필요해 접수해 두었습니다. 처리 결과는 문자로 안내해 드리겠습니다.",
    ),
    "explained": (
        "확인해 보니 해당 요금은 정상 청구된 건입니다. 사용 내역을 문자로 보내 드리겠습니다.",
        "고객님, 조회해 보니 실제 사용하신 내역에 따라 청구된 요금으로 확인됩니다.",
    ),
}
