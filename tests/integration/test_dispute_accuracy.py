"""Dispute decisions of the real graph against the simulator's ground truth.

150 calls from seed 4242 (disjoint from the intent model's training seed 13 and the demo's
seed 7) go utterance by utterance through the real graph: real policy, the product's
trained intent tier (cached in pytest's cache dir after the first run), LLM off, in-memory
ports. The scoring rule is in tests/integration/dispute_replay.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.intents import IntentClassifier, load_or_train
from agents.intents.store import DEFAULT_SEED
from services.intent_model_files import FileIntentModelStore
from services.schemas import DisputeOutcome
from tests.integration.dispute_replay import DisputeCheck, accuracy, render, replay_seed

pytestmark = pytest.mark.integration

SEED = 4242
CALLS = 150


@pytest.fixture(scope="module")
def product_intent_model(pytestconfig: pytest.Config) -> IntentClassifier:
    """The model `kcall` workers load: the seed set plus simulator utterances of seed 13."""
    from pipelines.intent_data import training_examples

    assert pytestconfig.cache is not None
    store = FileIntentModelStore(Path(pytestconfig.cache.mkdir("kcall-intent-model")))
    return load_or_train(store,
                         lambda: training_examples(seed=DEFAULT_SEED), seed=DEFAULT_SEED)


@pytest.fixture(scope="module")
def checks(product_intent_model: IntentClassifier) -> list[DisputeCheck]:
    return replay_seed(SEED, CALLS, product_intent_model)


def test_dispute_decisions_match_the_truth(checks: list[DisputeCheck]) -> None:
    report = render(checks)
    expected = {c.call.truth.expected_dispute.outcome for c in checks
                if c.call.truth.expected_dispute}
    assert expected == {DisputeOutcome.CREDIT_ISSUED, DisputeOutcome.PENDING_APPROVAL,
                        DisputeOutcome.EXPLAINED}, "the sample must hold every outcome"
    assert accuracy(checks) >= 0.95, report
    assert accuracy(checks, disputes_only=True) >= 0.95, report


def test_every_credit_is_owed_and_exact(checks: list[DisputeCheck]) -> None:
    credited = [c for c in checks if c.found and c.found.outcome is DisputeOutcome.CREDIT_ISSUED]
    assert credited
    for check in credited:
        truth, found = check.call.truth.expected_dispute, check.found
        assert truth is not None and found is not None, check.call.call_id
        assert truth.outcome is DisputeOutcome.CREDIT_ISSUED, check.call.call_id
        assert (found.amount_krw, found.invoice_id) == (truth.expected_credit_krw,
                                                        truth.invoice_id), check.call.call_id


def test_no_money_is_proposed_on_calls_without_a_dispute(checks: list[DisputeCheck]) -> None:
    money = {DisputeOutcome.CREDIT_ISSUED, DisputeOutcome.PENDING_APPROVAL}
    wrong = [c.call.call_id for c in checks
             if c.call.truth.expected_dispute is None and c.found and c.found.outcome in money]
    assert wrong == []
