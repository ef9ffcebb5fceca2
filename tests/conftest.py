"""Root conftest: loads each component's fixtures module."""

pytest_plugins = [
    "tests.fixtures.broker",
    "tests.fixtures.database",
    "tests.fixtures.llm",
    "tests.fixtures.speech",
]
