"""The HTTP API: app factory, routers, security and wiring."""

from services.api.app import create_app
from services.api.backends import (
    ApiBackends,
    ApiCommands,
    AssistantChat,
    BackendUnavailable,
    CallReadModel,
    EventPublisher,
)

__all__ = [
    "ApiBackends",
    "ApiCommands",
    "AssistantChat",
    "BackendUnavailable",
    "CallReadModel",
    "EventPublisher",
    "create_app",
]
