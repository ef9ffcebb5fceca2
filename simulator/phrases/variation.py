"""Phrases of the per-call variation layer (hesitations, corrections, mood, long calls).

Never used by the intent model's training utterances (simulator.training reads other
names), so adding lines here leaves the trained model unchanged. Customer lines are
written in 해요체; `simulator.endings` moves them to the caller's speech level.
"""

HESITATIONS = ("음… ", "그… 그러니까 ", "어… ", "아 그… ", "저기 그… ", "음, 그러니까 ")

# (word as said, slip said first): the slip carries no fact the ground truth decides.
CORRECTIONS = (
    ("명세서", "영수증"),
    ("청구서", "고지서"),
    ("앱으로", "홈페이지로"),
    ("지난주부터", "어제부터"),
    ("택시에서", "버스에서"),
    ("회사에서", "집에서"),
    ("태블릿이랑", "노트북이랑"),
    ("월요일에", "화요일에"),
    ("닷새", "나흘"),
    ("20기가", "30기가"),
    ("서너 번은", "두어 번은"),
    ("지하철에서", "버스에서"),
    ("이 번호로", "집 번호로"),
)
# How the slip is taken back: "{slip}, 아니 {word}".
CORRECTION_FORMS = (
    "{slip}, 아니 {word}",
    "{slip}… 아 아니다, {word}",
    "{slip}, 아 그게 아니라 {word}",
)
# "이번 달, 아니 지난달": only where the month is no fact of the truth (not in disputes).
MONTH_CORRECTION = ("지난달", "이번 달")

ANGRY_REMARKS = (
    "아니 진짜 짜증 나네요.",
    "이런 걸 왜 고객이 일일이 확인해야 해요?",
    "전화 연결되는 데만 한참 걸렸어요.",
    "다음엔 이런 일 없게 해 주세요.",
    "진짜 확인 좀 제대로 해 주세요.",
)
AGENT_APOLOGIES = (
    "많이 답답하셨을 텐데 정말 죄송합니다, 고객님.",
    "불편을 드려 진심으로 사과드립니다, 고객님.",
)
CALM_REMARKS = (
    "천천히 확인해 주셔도 괜찮아요.",
    "바쁘실 텐데 친절하게 알려 주셔서 감사해요.",
    "설명 잘 들었어요.",
)

# (agent, customer) pairs a long call adds before the agent's answer: no intent in them.
HOLD_PAIRS = (
    (
        "조회에 시간이 조금 걸리고 있습니다. 잠시만 기다려 주시겠습니까?",
        "네, 기다릴게요.",
    ),
    (
        "기다려 주셔서 감사합니다, 고객님. 거의 다 확인되었습니다.",
        "네, 괜찮아요.",
    ),
    (
        "처리 결과 안내는 지금 통화하시는 번호로 문자 보내 드려도 되겠습니까?",
        "네, 이 번호로 보내 주세요.",
    ),
)
REPEAT_ASK = "죄송합니다, 고객님. 말씀이 잠깐 끊겨서요, 한 번만 다시 말씀해 주시겠습니까?"
REPEAT_PREFIX = "아 네, 다시 말씀드리면, "
# (agent, customer) pairs a long call adds before the closing.
WRAP_PAIRS = (
    (
        "처리 내역은 앱 알림으로도 확인하실 수 있습니다.",
        "아 그래요? 앱으로 한번 볼게요.",
    ),
    (
        "혹시 문자가 안 오시면 다시 연락 주십시오.",
        "네, 알겠어요. 오늘 바로 확인해 볼게요.",
    ),
    (
        "제가 안내해 드린 내용 중 궁금하신 점은 없으십니까?",
        "네, 이해했어요.",
    ),
)
# Loanwords callers use, said as an aside of the same topic (scenario -> customer lines).
LOANWORD_ASIDES: dict[str, tuple[str, ...]] = {
    "plan_change": ("요금제 업그레이드하면 데이터 쉐어링도 같이 되는 거죠?",),
    "device": ("이심으로 바꾸면 유심은 안 써도 되는 거죠?", "앱에서도 조회가 되나요?"),
    "network_quality": ("유심을 다시 꽂아 봤는데도 똑같아요.", "와이파이 끄면 더 안 돼요."),
    "roaming": ("포켓 와이파이보다 로밍이 나은지 모르겠어요.", "이심 하나 더 쓰는 건 어때요?"),
    "data_usage": ("유튜브 조금만 봐도 데이터가 금방 없어져요.", "데이터 잔여량은 앱에서 봐요."),
    "value_added_service": ("앱에서 해지 버튼을 못 찾겠더라고요.",),
    "billing_inquiry": ("앱에서는 상세 내역이 잘 안 보여서요.",),
    "general_inquiry": ("유심 교체도 거기서 되는 거죠?",),
}
ASIDE_PROMPT = "네, 확인하는 동안 더 궁금하신 점이 있으시면 편하게 말씀해 주십시오."

# Payment calls: the number the caller gives for the new payment method.
CARD_ASKS = ("네, 등록하실 카드 번호 열여섯 자리를 말씀해 주시겠습니까?",)
CARD_SAYS = ("{issuer} {card:이에요/예요}.", "네, {issuer}고요, 번호는 {card:이에요/예요}.")
ACCOUNT_ASKS = ("자동이체하실 은행과 계좌번호를 말씀해 주시겠습니까?",)
ACCOUNT_SAYS = (
    "{bank} {account:이요/요}.",
    "{bank:이고요/고요}, 계좌번호는 {account:이에요/예요}.",
)
CARD_ISSUERS = ("국민카드", "신한카드", "삼성카드", "현대카드", "롯데카드")
BANKS = ("국민은행", "신한은행", "우리은행", "하나은행", "농협")
