"""Root conftest: loads each component's fixtures module and the hypothesis profile."""

import os

from hypothesis import settings

pytest_plugins = [
    "tests.fixtures.agents",
    "tests.fixtures.broker",
    "tests.fixtures.database",
    "tests.fixtures.llm",
    "tests.fixtures.speech",
]

# The suite (and CI) draws the same examples on every run, so a red run is reproducible
# and a green one does not turn red by luck. `HYPOTHESIS_PROFILE=explore` draws new ones,
# which is how to look for counterexamples before committing a property.
settings.register_profile("default", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
