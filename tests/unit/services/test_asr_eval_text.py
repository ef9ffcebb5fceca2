import pytest

from agents.evaluation.cer import cer, normalize_korean, number_to_hangul
from services.asr import DecodeOptions, Transcript, TranscriptSegment
from services.config import AsrSettings


@pytest.mark.parametrize(
    ("value", "reading"),
    [
        (0, "영"),
        (1, "일"),
        (10, "십"),
        (15, "십오"),
        (1234, "천이백삼십사"),
        (10000, "만"),
        (35000, "삼만오천"),
        (120000000, "일억이천만"),
        (10**16 + 7, "일" + "영" * 15 + "칠"),  # a hallucinated digit run: read digit by digit
    ],
)
def test_number_to_hangul(value: int, reading: str) -> None:
    assert number_to_hangul(value) == reading


def test_normalization_and_cer() -> None:
    assert normalize_korean("요금이 35,000원, 맞나요?") == "요금이삼만오천원맞나요"
    assert cer("그는 이리저리 피하면서", "그는 이리저리 피하면서.") == 0.0
    assert cer("삼만 원", "30000원") == 0.0
    assert cer("가나다라", "가나") == pytest.approx(0.5)


def test_transcript_aggregates_and_options_come_from_settings() -> None:
    t = Transcript(
        (TranscriptSegment(0, 1, " 안녕 ", 0.0, 0.1), TranscriptSegment(1, 4, "하세요", -1.0, 0.5)),
        "ko",
        4.0,
    )
    assert t.text == "안녕 하세요"
    assert t.confidence == pytest.approx((1.0 + 3 * 0.36788) / 4, abs=1e-3)
    assert t.no_speech_prob == pytest.approx((0.1 + 1.5) / 4)
    assert Transcript((), "ko", 1.0).confidence == 0.0
    opts = DecodeOptions.from_settings(AsrSettings(beam_size=3, language="ko"))
    assert opts.beam_size == 3 and opts.language == "ko" and opts.temperatures[0] == 0.0
