"""`kcall eval summary-items`: precision and recall of the summary's extracted items.

The calls are the committed test set `sim-eval-v2`; each gets follow-up turns planted by
`simulator.followups` (dates, times, amounts and duties with their truth, a call date drawn
per call), redacted as at the system's entry, then read by `agents.summary_items`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from agents.evaluation.summary_items import ItemsCase
    from simulator.followups import PlantedCall

__all__ = ["eval_summary_items", "items_case"]


def eval_summary_items(
    calls: Annotated[int, typer.Option(min=1, max=5000, help="The first N test calls.")] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the planted turns and call dates.")] = 14,
    turns: Annotated[int, typer.Option(min=1, max=7, help="Turns planted per call.")] = 2,
    misses: Annotated[bool, typer.Option(help="List the first misses.")] = True,
    out: Annotated[Path | None, typer.Option(help="Also write the markdown here.")] = None,
) -> None:
    """Score the extracted dates, amounts, actions and numbers against planted ground truth."""
    from agents.evaluation.summary_items import items_markdown, score_items
    from services.cli.eval_testset import load_testset
    from simulator.followups import plant_followups

    testset = load_testset(limit=calls)
    cases = [items_case(plant_followups(call, seed=seed, turns=turns))
             for call in testset.calls]
    text = items_markdown(score_items(cases), show_misses=misses)
    typer.echo(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")


def items_case(planted: PlantedCall) -> ItemsCase:
    """The planted turns, redacted, with their truth as a scoring case."""
    from agents.evaluation.summary_items import ItemsCase
    from agents.korean import redact
    from agents.summary_items import HeardIdentifier
    from services.privacy import redact_and_seal

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
