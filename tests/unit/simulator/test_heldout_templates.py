"""The held-apart template family: every intent covered, apart from the training templates."""

from __future__ import annotations

import re

from services.schemas import Intent
from simulator import phrases
from simulator.heldout import heldout_templates, heldout_utterances


def _training_templates() -> set[str]:
    pool: set[str] = set()
    for opening in phrases.OPENINGS.values():
        for templates in opening.values():
            pool.update(templates)
    for case in phrases.DISPUTE_OPENINGS.values():
        for templates in case.values():
            pool.update(templates)
    for templates in phrases.CHURN_PIVOTS.values():
        pool.update(templates)
    return pool


def test_every_intent_has_its_own_family_of_phrasings() -> None:
    family = heldout_templates()
    assert set(family) == set(Intent)
    for intent, templates in family.items():
        assert len(templates) >= 6, intent
        assert len(set(templates)) == len(templates), intent


def test_no_held_apart_template_is_a_training_template() -> None:
    held = {t for templates in heldout_templates().values() for t in templates}
    assert held.isdisjoint(_training_templates())


def test_fillings_are_complete_repeatable_and_cover_every_template() -> None:
    first, again = heldout_utterances(7), heldout_utterances(7)
    assert first == again
    assert first != heldout_utterances(8)
    texts = [text for text, _ in first]
    assert len(set(texts)) == len(texts)
    assert all("{" not in text and "}" not in text for text in texts)
    # each template leaves its fixed words in at least one text
    for intent, templates in heldout_templates().items():
        mine = [text for text, label in first if label is intent]
        for template in templates:
            anchor = max(re.split(r"\{[^}]*\}", template), key=len).strip()
            assert any(anchor in text for text in mine), template
