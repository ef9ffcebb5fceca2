"""Scripted-call value types: scenarios, the scenario mix, turns and per-call ground truth."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from services.schemas import AnomalyKind, DisputeOutcome, Intent, Speaker
from services.schemas.base import Record

__all__ = [
    "SCENARIO_INTENT",
    "CallTruth",
    "ExpectedDispute",
    "CallLength",
    "Mood",
    "PiiKind",
    "PlantedPii",
    "Register",
    "Scenario",
    "ScenarioMix",
    "ScriptedCall",
    "Turn",
]


class Scenario(StrEnum):
    """Why the simulated customer calls."""

    BILLING_DISPUTE = "billing_dispute"
    BILLING_INQUIRY = "billing_inquiry"
    PAYMENT = "payment"
    PLAN_CHANGE = "plan_change"
    CANCELLATION = "cancellation"
    PORT_OUT = "port_out"
    CONTRACT_DISCOUNT = "contract_discount"
    ROAMING = "roaming"
    DATA_USAGE = "data_usage"
    DEVICE = "device"
    NETWORK_QUALITY = "network_quality"
    VALUE_ADDED_SERVICE = "value_added_service"
    MICROPAYMENT = "micropayment"
    ACCOUNT_CHANGE = "account_change"
    GENERAL_INQUIRY = "general_inquiry"


SCENARIO_INTENT: dict[Scenario, Intent] = {
    scenario: Intent.OTHER if scenario is Scenario.GENERAL_INQUIRY else Intent(scenario.value)
    for scenario in Scenario
}

# Share of calls per scenario, shaped like a carrier call center's contact reasons.
_DEFAULT_WEIGHTS: dict[Scenario, float] = {
    Scenario.BILLING_DISPUTE: 0.18,
    Scenario.BILLING_INQUIRY: 0.10,
    Scenario.PAYMENT: 0.06,
    Scenario.PLAN_CHANGE: 0.08,
    Scenario.CANCELLATION: 0.07,
    Scenario.PORT_OUT: 0.05,
    Scenario.CONTRACT_DISCOUNT: 0.05,
    Scenario.ROAMING: 0.06,
    Scenario.DATA_USAGE: 0.07,
    Scenario.DEVICE: 0.05,
    Scenario.NETWORK_QUALITY: 0.06,
    Scenario.VALUE_ADDED_SERVICE: 0.05,
    Scenario.MICROPAYMENT: 0.05,
    Scenario.ACCOUNT_CHANGE: 0.04,
    Scenario.GENERAL_INQUIRY: 0.03,
}


class ScenarioMix(Record):
    """How calls are spread over scenarios and how often each variation appears."""

    weights: dict[Scenario, float] = Field(default_factory=lambda: dict(_DEFAULT_WEIGHTS))
    multi_intent_rate: float = Field(
        default=0.2, ge=0, le=1, description="dispute/complaint, then churn"
    )
    casual_rate: float = Field(default=0.15, ge=0, le=1, description="customer speaks 반말")
    hangul_number_rate: float = Field(
        default=0.4, ge=0, le=1, description="amounts spoken in Hangul"
    )
    pii_rate: float = Field(
        default=0.6, ge=0, le=1, description="customer says phone or birth date"
    )
    filler_rate: float = Field(default=0.5, ge=0, le=1)
    vague_opening_rate: float = Field(
        default=0.1, ge=0, le=1, description="first utterance says nothing of the intent"
    )
    valid_dispute_rate: float = Field(
        default=0.25, ge=0, le=1, description="disputes of correct charges"
    )
    # The variation layer (simulator.variation) draws these from a stream of its own.
    short_call_rate: float = Field(default=0.2, ge=0, le=1, description="4 to 6 turns")
    long_call_rate: float = Field(default=0.2, ge=0, le=1, description="14 to 20 turns")
    formal_rate: float = Field(
        default=0.15, ge=0, le=1, description="non-casual caller speaks 하십시오체"
    )
    hesitation_rate: float = Field(default=0.35, ge=0, le=1, description="음…, stutters")
    correction_rate: float = Field(default=0.3, ge=0, le=1, description="a slip taken back")
    angry_rate: float = Field(
        default=0.1, ge=0, le=1, description="otherwise calm callers made angry (x3 on pivots)"
    )
    calm_remark_rate: float = Field(
        default=0.3, ge=0, le=1, description="calm callers who add a courteous remark"
    )
    card_rate: float = Field(
        default=0.5, ge=0, le=1, description="payment calls that say a card or account number"
    )


class Turn(Record):
    """One utterance of the script; `intent` marks customer turns that state an intent."""

    speaker: Speaker
    text: str
    intent: Intent | None = None


class ExpectedDispute(Record):
    """What a correct agent concludes about the disputed charge."""

    anomaly_kind: AnomalyKind | None = Field(description="None = the charge was correct")
    outcome: DisputeOutcome
    expected_credit_krw: int = Field(ge=0)
    invoice_id: str
    line_ids: list[str] = Field(default_factory=list)
    period: str


PiiKind = Literal["name", "phone", "birth_date", "account", "card"]
Mood = Literal["calm", "angry"]
Register = Literal["polite", "formal", "casual"]
CallLength = Literal["short", "normal", "long"]


class PlantedPii(Record):
    """Personal data said in a turn: where, what kind, and the words that say it."""

    seq: int = Field(ge=0)
    kind: PiiKind
    said: str = Field(description="the value as spoken, a substring of the turn's text")


class CallTruth(Record):
    """Ground truth for one call, for scoring the system under test.

    The fields after `churn_expected` came with the variation layer; their defaults let
    calls written before it (the committed test set) still load.
    """

    expected_intents: list[Intent] = Field(min_length=1, description="in the order raised")
    primary_intent: Intent
    expected_dispute: ExpectedDispute | None = None
    churn_expected: bool
    mood: Mood = "calm"
    speech_level: Register = Field(
        default="polite", description="해요체, 하십시오체 or 반말 (the agent is always polite)"
    )
    length: CallLength = "normal"
    pii: list[PlantedPii] = Field(default_factory=list)


class ScriptedCall(Record):
    """A complete synthetic call: who calls, what is said, and what should be concluded."""

    call_id: str
    customer_id: str
    scenario: Scenario
    turns: list[Turn] = Field(min_length=2)
    truth: CallTruth

    def customer_turns(self) -> list[Turn]:
        """The customer's side only."""
        return [turn for turn in self.turns if turn.speaker is Speaker.CUSTOMER]
