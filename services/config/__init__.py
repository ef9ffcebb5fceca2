"""The one settings object: every knob of the system, defaults = the embedded stack."""

from services.config.settings import (
    AgentSettings,
    ApiSettings,
    AsrSettings,
    DatabaseSettings,
    KafkaSettings,
    LlmDialect,
    LlmSettings,
    PathSettings,
    PrivacySettings,
    RetentionSettings,
    Settings,
    SimulatorSettings,
    get_settings,
)

__all__ = [
    "AgentSettings",
    "ApiSettings",
    "AsrSettings",
    "DatabaseSettings",
    "KafkaSettings",
    "LlmDialect",
    "LlmSettings",
    "PathSettings",
    "PrivacySettings",
    "RetentionSettings",
    "Settings",
    "SimulatorSettings",
    "get_settings",
]
