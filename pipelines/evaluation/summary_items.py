"""The summary's extracted items scored on test calls with planted follow-up turns.

The calls are the committed test set `sim-eval-v2`; each gets follow-up turns planted by
`simulator.followups` (dates, times, amounts and duties with their truth, a call date drawn
per call), redacted as at the system's entry, then read by `agents.summary_items`.
"""

from __future__ import annotations

from agents.evaluation.summary_items import ItemsCase, items_markdown, score_items
from agents.korean import redact
from agents.summary_items import HeardIdentifier
from services.privacy import redact_and_seal
from simulator.followups import PlantedCall, plant_followups
from simulator.testset import load_testset

__all__ = ["items_case", "summary_items_report"]


def items_case(planted: PlantedCall) -> ItemsCase:
    """The planted turns, redacted, with their truth as a scoring case."""
    truth = planted.truth
    turns = planted.call.turns
    entered = {seq: redact_and_seal(turns[seq].text, None) for seq in truth.planted_seqs}
    return ItemsCase(
        call_id=planted.call.call_id, call_date=truth.call_date,
        utterances=[(seq, turns[seq].speaker.value, entered[seq][0])
                    for seq in truth.planted_seqs],
        heard={seq: [HeardIdentifier(i.kind, i.masked) for i in kept]
               for seq, (_, kept) in entered.items()},
        identifiers=[(i.kind, i.last4) for i in truth.identifiers],
        dates=truth.dates, amounts=truth.amounts,
        actions=[(a.owner, a.action, a.due) for a in truth.actions],
        unlabelled=[(seq, turn.speaker.value, redact(turn.text).text)
                    for seq, turn in enumerate(turns) if seq not in truth.planted_seqs],
    )


def summary_items_report(*, calls: int, seed: int, turns: int, misses: bool) -> str:
    """Plant `turns` follow-ups in each of the first `calls` test calls and score the items."""
    testset = load_testset(limit=calls)
    cases = [items_case(plant_followups(call, seed=seed, turns=turns))
             for call in testset.calls]
    return items_markdown(score_items(cases), show_misses=misses)
