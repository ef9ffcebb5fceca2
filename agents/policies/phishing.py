"""Live voice-phishing scoring: Korean scam cues with evidence spans, summed over the call.

Each signal is a family of literal phrases (regexes of alternations, optional spaces and
short bounded gaps only, so matching stays linear in the text) seen in Korean voice-phishing
scripts: impersonating prosecutors, police, the Financial Supervisory Service or a bank,
"crime involvement" stories, transfers to a "safe account", app installs and remote control,
card/OTP/password requests, loans that need a fee first, urgency and secrecy.

The score is a logistic over the distinct signals of the call so far (the first cue of each
signal is kept as evidence), so a scam told across two utterances counts as one story. The
tail of the previous utterance is scanned together with the current one, so a phrase cut by
the ASR's utterance boundary ("안전" | "계좌로 옮기세요") is still found.

The weights are fitted, not guessed: `kcall eval phishing --fit` fits an L2-regularised
logistic regression on the simulator's training templates (phishing calls and normal
customer-service calls) and reports calibration on held-apart templates; the numbers below
are that fit, rounded. The bias reflects the simulator's mix (about one phishing call in
three), not the real base rate: shift it by log(real odds / simulator odds) before reading
the score as a probability in production.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "BIAS",
    "CARRY_CHARS",
    "SIGNALS",
    "WEIGHTS",
    "Cue",
    "PhishingAssessment",
    "assess_utterance",
    "feature_vector",
    "find_cues",
    "score_cues",
]

# Characters of the previous utterance scanned with the next one (a phrase cut in two).
CARRY_CHARS = 12

_PATTERNS: dict[str, tuple[str, ...]] = {
    "authority_impersonation": (
        r"검찰(?:청|수사관)?", r"지검", r"지방\s?검찰", r"검사(?:입니다|이고|님|실)", r"수사관",
        r"경찰청", r"수사대", r"경찰서\s?(?:수사|형사)", r"형사(?:입니다|과)", r"수사\s?(?:과|팀)",
        r"금융\s?감독원", r"금감원", r"금융\s?위원회", r"금융\s?보안원",
    ),
    "bank_impersonation": (
        r"(?:은행|금고|농협|신협|우체국|캐피탈|카드사|금융)\s?(?:직원|대출\s?(?:상담|담당)"
        r"|상담\s?(?:팀|원)|팀장|과장|대리)",
        r"카드\s?(?:고객센터|소비자\s?보호)",
        r"(?:대출|여신)\s?(?:담당|상담)\s?(?:팀|직원|자)",
    ),
    "crime_story": (
        r"범죄에?\s?연루", r"(?:명의|계좌|통장)(?:가|이)?\s?도용", r"대포\s?통장", r"자금\s?세탁",
        r"금융\s?사기\s?(?:사건|조직|단)", r"(?:피의자|참고인)", r"구속\s?(?:영장|수사)",
        r"출석\s?(?:요구|하셔야|조사)", r"사건\s?번호", r"불법\s?(?:대출|거래)",
        r"명의로[^.?!]{0,15}(?:대출|개설|신청)",
    ),
    "safe_account": (
        r"안전\s?계좌", r"보호\s?계좌", r"국가\s?안전", r"(?:금융\s?)?자산\s?(?:보호|검수)",
        r"(?:예금|잔고|잔액|자금|돈|현금)(?:을|를|은)?\s?(?:전부|전액|모두|다)?\s?"
        r"(?:옮기|옮겨|인출|찾아|뽑아|보내)",
        r"현금으로\s?(?:인출|찾|뽑)",
    ),
    "remote_app": (
        r"(?:앱|어플|애플리케이션|프로그램)(?:을|를)?\s?(?:하나\s?)?(?:설치|깔아|까시|깔고|다운)",
        r"원격\s?(?:제어|조종|지원|프로그램|앱)", r"팀\s?뷰어", r"애니\s?데스크",
        r"링크(?:를)?\s?(?:누르|눌러|클릭|접속|보내\s?드릴)",
    ),
    "fake_transaction": (
        r"승인\s?대기", r"해외\s?(?:결제|승인)", r"결제\s?요청이?\s?(?:들어|왔|접수)",
    ),
    "credential_request": (
        r"(?<!\[)카드\s?번호", r"OTP", r"오티피", r"보안\s?카드", r"(?<!\[)비밀\s?번호",
        r"인증\s?번호", r"(?:공인|공동)\s?인증서", r"CVC", r"유효\s?기간",
    ),
    "loan_offer": (
        r"저금리\s?(?:대출|대환|전환)", r"대환\s?대출", r"정부\s?지원\s?(?:대출|자금)",
        r"(?:대출|한도)\s?(?:승인|가능)", r"기존\s?대출[^.?!]{0,12}(?:상환|갚)",
    ),
    "upfront_fee": (
        r"선\s?입금",
        r"(?:수수료|보증금|인지세|공증\s?비용|보험료)[^.?!]{0,20}(?:먼저|미리|우선)",
        r"(?:먼저|미리|우선)\s?(?:수수료|보증금)",
        r"(?:보증금|수수료)(?:를|을)?\s?(?:입금|송금|보내)",
        r"신용\s?(?:등급|점수)(?:을|를)?\s?(?:올리|높이)",
    ),
    "urgency": (
        r"지금\s?(?:바로|당장|즉시)", r"오늘\s?(?:중으로|안에|안으로)", r"시간이\s?없",
        r"서두르", r"(?:한\s?)?시간\s?(?:안에|내로)",
    ),
    "secrecy": (
        r"아무(?:한테|에게)도", r"누구(?:한테|에게)도", r"비밀로", r"발설",
        r"(?:가족|은행\s?직원)(?:한테|에게|분들께)?(?:도)?\s?(?:말씀하시|말하|알리)(?:면\s?안|지\s?마)",
        r"(?:통화|전화)(?:를)?\s?끊(?:으시|지)\s?(?:면\s?안|마)",
    ),
}
SIGNALS: tuple[str, ...] = tuple(_PATTERNS)
_COMPILED: dict[str, re.Pattern[str]] = {
    name: re.compile("|".join(f"(?:{p})" for p in patterns))
    for name, patterns in _PATTERNS.items()
}

# Fitted by `kcall eval phishing --fit` (see the module docstring); log-odds per signal.
BIAS = -4.71
WEIGHTS: dict[str, float] = {
    "authority_impersonation": 3.68,
    "bank_impersonation": 2.96,
    "crime_story": 4.75,
    "safe_account": 5.34,
    "remote_app": 1.75,
    "fake_transaction": 6.74,
    "credential_request": 1.24,
    "loan_offer": 5.33,
    "upfront_fee": 0.3,
    "urgency": 1.47,
    "secrecy": 4.21,
}


@dataclass(frozen=True, slots=True)
class Cue:
    """One phishing cue: the signal, the utterance and the span of its words in it.

    `start`/`end` index the utterance's (redacted) text; `text` is the matched words. A
    phrase that began in the previous utterance has `start` 0 and `text` the whole phrase.
    """

    signal: str
    seq: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class PhishingAssessment:
    """The call's phishing score after one utterance, its evidence and this turn's cues."""

    score: float
    evidence: tuple[Cue, ...]
    new: tuple[Cue, ...]


def find_cues(text: str, *, seq: int, carry: str = "") -> list[Cue]:
    """Every signal's first cue in one utterance (with `carry`, the previous one's tail)."""
    carry = carry[-CARRY_CHARS:]
    joined = f"{carry} {text}" if carry else text
    offset = len(joined) - len(text)
    cues: list[Cue] = []
    for name, pattern in _COMPILED.items():
        for match in pattern.finditer(joined):
            if match.end() <= offset:
                continue  # wholly in the previous utterance: counted there
            start = max(0, match.start() - offset)
            cues.append(Cue(name, seq, start, match.end() - offset, match.group()))
            break
    return cues


def score_cues(cues: Iterable[Cue], *, bias: float = BIAS,
               weights: dict[str, float] | None = None) -> float:
    """Logistic score over the distinct signals among `cues`."""
    weights = WEIGHTS if weights is None else weights
    logit = bias + sum(weights.get(name, 0.0) for name in {cue.signal for cue in cues})
    return round(1.0 / (1.0 + math.exp(-logit)), 4)


def feature_vector(cues: Iterable[Cue]) -> list[float]:
    """One 0/1 feature per signal (in SIGNALS order), for fitting the weights."""
    present = {cue.signal for cue in cues}
    return [1.0 if name in present else 0.0 for name in SIGNALS]


def assess_utterance(
    text: str, *, seq: int, evidence: Sequence[Cue], carry: str = ""
) -> PhishingAssessment:
    """Add one utterance's cues to the call's evidence (first cue per signal) and score it."""
    found = find_cues(text, seq=seq, carry=carry)
    known = {cue.signal for cue in evidence}
    new = tuple(cue for cue in found if cue.signal not in known)
    merged = (*evidence, *new)
    return PhishingAssessment(score=score_cues(merged), evidence=merged, new=new)
