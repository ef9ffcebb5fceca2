import pytest

from services.asr import HallucinationFilter, Transcript, TranscriptSegment


def _seg(text: str, *, nsp: float = 0.01, logprob: float = -0.3) -> TranscriptSegment:
    return TranscriptSegment(0.0, 1.0, text, logprob, nsp)


@pytest.mark.parametrize(
    "text",
    [
        " 시청해주셔서 감사합니다.",
        "시청해 주셔서 감사합니다!",
        "구독과 좋아요 부탁드립니다",
        "MBC 뉴스 이덕영입니다.",
        "다음 영상에서 만나요~",
        "한글자막 by 한효정",
        "네 네 네 네 네 네 네",
        "감사합니다 감사합니다 감사합니다 감사합니다 감사합니다",
        "한입 한 명 리액트는 1,000,000,000,000,000,000,000,000,000,",  # seen on noisy audio
        "육육, 육육, 육육, 육육,",
    ],
)
def test_known_hallucinations_are_dropped(text: str) -> None:
    f = HallucinationFilter()
    assert f.clean(Transcript((_seg(text),), "ko", 1.0)).text == ""
    assert f.counter.total_dropped == 1


@pytest.mark.parametrize(
    "text",
    [
        "감사합니다.",
        "요금이 두 번 나왔어요",
        "네 알겠습니다",
        "뉴스 보고 전화했어요",
        "구독 서비스 해지해 주세요",
        "요금이 1000000원 나왔어요",
        "1,000,000원 결제됐어요",
        "하하하 네 알겠습니다",
    ],
)
def test_real_call_phrases_are_kept(text: str) -> None:
    f = HallucinationFilter()
    assert f.clean(Transcript((_seg(text),), "ko", 1.0)).text == text
    assert f.counter.kept == 1


def test_no_speech_needs_both_signals() -> None:
    f = HallucinationFilter(no_speech_threshold=0.6, log_prob_threshold=-1.0)
    assert f.reason(_seg("요금제", nsp=0.9, logprob=-1.5)) == "no_speech"
    assert f.reason(_seg("요금제", nsp=0.9, logprob=-0.2)) is None  # confident decode wins
    assert f.reason(_seg("요금제", nsp=0.1, logprob=-1.5)) is None


def test_only_bad_segments_go_and_counts_add_up() -> None:
    f = HallucinationFilter()
    kept = f.clean(Transcript((_seg("요금 문의요"), _seg("시청해주셔서 감사합니다")), "ko", 2.0))
    assert kept.text == "요금 문의요" and len(kept.segments) == 1
    assert f.counter.as_dict() == {"kept": 1, "dropped_known_phrase": 1}
