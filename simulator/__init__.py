"""Seeded synthetic Korean telecom traffic: bills with ground truth, calls, speech, transports."""

from simulator.audio import CallAudio, EspeakMissing, call_audio, chunk_audio, synthesize
from simulator.report import CallResult, LoadReport, Percentiles, render_markdown, summarize
from simulator.scenarios import (
    SCENARIO_INTENT,
    CallTruth,
    ExpectedDispute,
    Scenario,
    ScenarioMix,
    ScriptedCall,
    Turn,
)
from simulator.scripts import generate_calls, training_utterances
from simulator.timeline import Segment, text_timeline
from simulator.traffic import burst_arrivals, diurnal_arrivals, poisson_arrivals
from simulator.transports import (
    ApiPaths,
    CallTransport,
    HttpTransport,
    KafkaTransport,
    RawTextRefused,
    send_audio,
    send_transcript,
)
from simulator.world import InjectedAnomaly, SyntheticWorld, ValidCharge, generate_world

__all__ = [
    "SCENARIO_INTENT",
    "ApiPaths",
    "CallAudio",
    "CallResult",
    "CallTransport",
    "CallTruth",
    "EspeakMissing",
    "ExpectedDispute",
    "HttpTransport",
    "InjectedAnomaly",
    "KafkaTransport",
    "LoadReport",
    "Percentiles",
    "RawTextRefused",
    "Scenario",
    "ScenarioMix",
    "ScriptedCall",
    "Segment",
    "SyntheticWorld",
    "Turn",
    "ValidCharge",
    "burst_arrivals",
    "call_audio",
    "chunk_audio",
    "diurnal_arrivals",
    "generate_calls",
    "generate_world",
    "poisson_arrivals",
    "render_markdown",
    "send_audio",
    "send_transcript",
    "summarize",
    "synthesize",
    "text_timeline",
    "training_utterances",
]
