import pytest

from services.asr.batch_decode import fitted_window


@pytest.mark.parametrize(
    ("frames", "step_s", "window"),
    [
        (389, 10.0, 1000),  # a 3.9 s utterance + 1 s margin: one 10 s window
        (900, 10.0, 1000),  # exactly fills it with its margin
        (901, 10.0, 2000),  # one frame more: the next multiple
        (389, 5.0, 500),
        (2950, 10.0, 3000),  # never past Whisper's 30 s
        (10, 30.0, 3000),  # step 30 = Whisper's fixed window, whatever the length
        (2999, 30.0, 3000),
    ],
)
def test_fitted_window_is_the_shortest_multiple_holding_utterance_and_margin(
    frames: int, step_s: float, window: int
) -> None:
    assert fitted_window(frames, step_s) == window
