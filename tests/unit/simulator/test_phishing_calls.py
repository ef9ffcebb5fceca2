"""Simulated phishing calls: seeded, split by wording, ground truth on a scam cue."""

from __future__ import annotations

from services.schemas import Speaker
from simulator.phishing import generate_phishing_calls
from simulator.phrases.phishing import FAMILIES


def _texts(split: str) -> set[str]:
    return {t for steps in FAMILIES.values() for _, _, wording in steps
            for t in wording[split]}  # type: ignore[index]


def test_the_same_seed_gives_the_same_calls() -> None:
    first = generate_phishing_calls(["C1", "C2"], seed=4, n=12, split="train")
    assert first == generate_phishing_calls(["C1", "C2"], seed=4, n=12, split="train")
    assert {c.family for c in first} == set(FAMILIES)


def test_train_and_eval_templates_share_no_sentence() -> None:
    assert not (_texts("train") & _texts("eval"))


def test_first_cue_is_the_first_scammer_turn_marked_as_a_cue() -> None:
    for split in ("train", "eval"):
        for call in generate_phishing_calls(["C1"], seed=9, n=40, split=split):  # type: ignore[arg-type]
            cue = call.turns[call.first_cue]
            assert cue.speaker is Speaker.AGENT  # the scammer is the other party of the call
            assert len(call.turns) >= 2 and call.split == split
            assert all("{" not in t.text for t in call.turns)  # every slot filled
