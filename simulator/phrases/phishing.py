"""Voice-phishing call templates (data only; the generator lives in simulator.phishing).

A phishing call is an inbound call to the subscriber: the scammer speaks on the agent
channel, the subscriber (our customer) on the customer channel. Each family is a list of
steps; a step is (who speaks, whether it is a scam cue, templates). Every template list is
split in two: "train" wording is used to calibrate the scorer, "eval" wording (different
sentences, not a paraphrase of one) only to evaluate it. Slots: {agency} {bank} {card}
{amount} (spoken in Hangul or written) {case_no} (digits read aloud) {rate}.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["FAMILIES", "FILLERS", "SCAMMER", "VICTIM", "Step", "Wording"]

Wording = dict[Literal["train", "eval"], tuple[str, ...]]
SCAMMER, VICTIM = "scammer", "victim"
# (speaker, is a scam cue, templates by split)
Step = tuple[str, bool, Wording]

FILLERS = ("아, ", "음, ", "어, ", "저기요, ", "네? ", "아 네, ")

_HELLO: Step = (SCAMMER, False, {
    "train": ("여보세요, 고객님 본인 되시죠?", "안녕하세요, 잠시 통화 괜찮으십니까?"),
    "eval": ("네, 여보세요. 본인 맞으시죠?", "고객님, 지금 통화 가능하세요?"),
})
_WHO: Step = (VICTIM, False, {
    "train": ("네, 그런데요. 누구세요?", "네, 맞는데요. 어디시죠?"),
    "eval": ("네, 전데요. 무슨 일이세요?", "예, 말씀하세요."),
})
_CONFUSED: Step = (VICTIM, False, {
    "train": ("네? 저는 그런 적이 없는데요.", "아, 정말요? 어떻게 된 거예요?",
              "그럴 리가 없는데, 무슨 말씀이세요?"),
    "eval": ("예? 저 그런 거 만든 적 없어요.", "어머, 진짜요? 저는 전혀 몰랐어요.",
             "그게 무슨 소리예요? 처음 듣는데요."),
})
_COMPLY: Step = (VICTIM, False, {
    "train": ("네, 알겠습니다. 어떻게 하면 되나요?", "네네, 말씀하신 대로 할게요."),
    "eval": ("그럼 제가 뭘 해야 하죠?", "알겠어요, 시키는 대로 할게요."),
})
_ASK: Step = (VICTIM, False, {
    "train": ("얼마나요? 지금 은행에 가야 하나요?", "그럼 제 돈은 괜찮은 거죠?"),
    "eval": ("전부 다요? 그럼 통장에 있는 거 다요?", "잠깐만요, 좀 무서운데 괜찮은 거 맞죠?"),
})
_HOLD: Step = (VICTIM, False, {
    "train": ("네, 잠시만요.", "네, 지금 해 볼게요."),
    "eval": ("알겠어요, 조금만 기다려 주세요.", "네, 휴대폰으로 해 볼게요."),
})

FAMILIES: dict[str, list[Step]] = {
    "prosecutor": [
        _HELLO, _WHO,
        (SCAMMER, True, {
            "train": ("안녕하십니까, {agency} 첨단범죄수사팀 수사관입니다. 고객님 명의로 개설된 "
                      "통장이 금융 범죄에 연루되어 확인차 연락드렸습니다.",
                      "네, 여기는 서울중앙지방검찰청입니다. 최근 검거된 금융사기 조직에서 고객님 "
                      "명의의 대포통장이 발견되어 연락드렸습니다."),
            "eval": ("수고하십니다. 중앙지검 검사실입니다. 고객님 계좌가 자금세탁 사건에 이용된 "
                     "정황이 있어서 전화드렸습니다.",
                     "{agency} 수사관입니다. 사건번호 {case_no} 관련해서 고객님이 참고인으로 "
                     "확인되셔서요."),
        }),
        _CONFUSED,
        (SCAMMER, True, {
            "train": ("이 사건은 보안 수사 중이라서 가족분들께도 말씀하시면 안 됩니다.",
                      "지금부터 통화 내용은 비밀로 하셔야 하고요, 전화 끊지 마세요."),
            "eval": ("수사 기밀이니까 아무한테도 알리시면 안 됩니다.",
                     "본인도 피의자가 될 수 있으니 누구에게도 발설하지 마십시오."),
        }),
        _COMPLY,
        (SCAMMER, True, {
            "train": ("고객님 예금을 보호하려면 지금 바로 안전계좌로 옮기셔야 합니다. {amount} "
                      "전부요.",
                      "피해를 막으려면 잔액을 전부 국가 보호계좌로 이체하셔야 해요."),
            "eval": ("오늘 안으로 통장에 있는 돈을 모두 옮기셔야 자산이 보호됩니다.",
                     "확인 절차상 예금을 전액 저희가 지정하는 안전 계좌로 보내셔야 합니다."),
        }),
        _ASK,
        (SCAMMER, True, {
            "train": ("보안 점검 앱을 하나 설치하셔야 합니다. 문자로 링크 보내 드릴게요.",
                      "확인을 위해 OTP 번호랑 보안카드 번호 불러 주세요."),
            "eval": ("원격 지원 프로그램으로 저희가 확인해 드릴게요, 주소 불러 드릴게요.",
                     "인증번호가 문자로 갈 거예요. 그 숫자 여섯 자리 바로 말씀해 주세요."),
        }),
        _HOLD,
    ],
    "fss": [
        _HELLO, _WHO,
        (SCAMMER, True, {
            "train": ("금융감독원 소비자보호국입니다. 고객님 명의로 불법 대출이 신청된 기록이 있어 "
                      "연락드렸습니다.",),
            "eval": ("금감원 불법금융대응단입니다. 고객님 계좌가 불법 거래에 이용된 것으로 "
                     "확인됩니다.",),
        }),
        _CONFUSED,
        (SCAMMER, True, {
            "train": ("자산 보호 조치를 해 드려야 하니까 잔액을 현금으로 인출하셔서 저희 직원에게 "
                      "전달하시면 됩니다.",),
            "eval": ("고객님 돈을 다 찾아서 금융 자산 검수를 받으셔야 해요. 시간이 없습니다.",),
        }),
        _ASK,
        (SCAMMER, True, {
            "train": ("은행 직원이 물어보면 가족한테 보낸다고 하세요. 사실대로 말하면 안 돼요.",),
            "eval": ("창구에서 이유를 물으면 그냥 개인 용도라고 하세요. 은행 직원한테 말씀하시면 "
                     "안 됩니다.",),
        }),
        _HOLD,
    ],
    "bank_loan": [
        _HELLO, _WHO,
        (SCAMMER, True, {
            "train": ("{bank} 대출 상담팀입니다. 고객님께서 저금리 대환대출 대상자로 "
                      "선정되셨습니다.",
                      "{bank} 팀장입니다. 정부 지원 대출로 연 {rate} 퍼센트까지 가능하세요."),
            "eval": ("{bank} 여신 담당 직원입니다. 기존 대출을 낮은 금리로 바꿔 드리려고 "
                     "연락드렸어요.",
                     "{bank} 대리입니다. 고객님 한도 승인 나셔서 안내해 드리려고요."),
        }),
        (VICTIM, False, {
            "train": ("아, 정말요? 금리가 얼마나 되는데요?", "대출이요? 마침 필요하긴 했는데요."),
            "eval": ("저 신용이 별로 안 좋은데 가능해요?", "오, 그럼 이자가 많이 줄어드는 거예요?"),
        }),
        (SCAMMER, True, {
            "train": ("승인 전에 보증금 {amount:을/를} 먼저 입금하셔야 합니다.",
                      "기존 대출을 먼저 상환하셔야 승인이 나요. 알려 드리는 계좌로 보내 주세요."),
            "eval": ("신용점수를 올리려면 수수료를 미리 내셔야 해요, {amount}입니다.",
                     "전산 처리 비용으로 선입금 {amount}만 해 주시면 바로 나갑니다."),
        }),
        _ASK,
        (SCAMMER, True, {
            "train": ("저희 전용 앱을 설치하셔서 신청서 작성해 주세요.",
                      "링크 눌러서 신청 앱 까시면 바로 진행됩니다."),
            "eval": ("원격 지원으로 서류 작성 도와드릴게요, 앱 하나 까시면 돼요.",
                     "오늘 중으로 하셔야 금리가 유지돼요. 카드 번호 뒷자리도 불러 주세요."),
        }),
        _HOLD,
    ],
    "police": [
        _HELLO, _WHO,
        (SCAMMER, True, {
            "train": ("서울경찰청 사이버수사대입니다. 고객님 개인정보가 유출돼서 명의가 "
                      "도용된 것으로 확인됐습니다.",),
            "eval": ("여기 경찰서 수사과 형사입니다. 고객님 통장이 대포통장으로 쓰였다는 신고가 "
                     "들어왔어요.",),
        }),
        _CONFUSED,
        (SCAMMER, True, {
            "train": ("지금 바로 은행에 가셔서 현금으로 찾으신 다음 저희 직원한테 "
                      "맡기셔야 합니다.",),
            "eval": ("예금을 전부 인출해서 보관하셔야 추가 피해가 없습니다. 한 시간 안에 "
                     "하셔야 해요.",),
        }),
        _COMPLY,
        (SCAMMER, True, {
            "train": ("통화 끊지 마시고 이어폰 끼신 채로 움직이세요. 아무에게도 말하지 마시고요.",),
            "eval": ("전화 끊으시면 안 되고요, 가족분들께도 알리지 마세요.",),
        }),
        _HOLD,
    ],
    "card": [
        (SCAMMER, True, {
            "train": ("{card}카드입니다. 고객님 카드로 해외 결제 {amount:이/가} 승인 대기 중인데 "
                      "본인 맞으세요?",),
            "eval": ("{card}카드 소비자보호팀입니다. 방금 {amount} 결제 요청이 들어왔는데 "
                     "직접 하신 거 맞으세요?",),
        }),
        _CONFUSED,
        (SCAMMER, True, {
            "train": ("그럼 명의 도용일 수 있으니 카드 번호랑 유효기간 확인해 드릴게요.",),
            "eval": ("명의가 도용된 거라서 경찰청에 바로 신고 접수해 드리겠습니다.",),
        }),
        _COMPLY,
        (SCAMMER, True, {
            "train": ("피해 신고용 보안 앱을 설치해 주셔야 합니다. 링크 보내 드릴게요.",),
            "eval": ("원격 제어 앱으로 저희가 휴대폰을 점검해 드릴게요. 지금 바로 하셔야 합니다.",),
        }),
        _HOLD,
    ],
}
