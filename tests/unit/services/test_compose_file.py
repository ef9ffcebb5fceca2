"""compose.yaml is consistent with the code: commands exist, settings exist, health gates hold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.main import get_command

from services.cli.main import app
from services.config.reference import settings_rows

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def _kcall_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: svc for name, svc in compose["services"].items() if svc.get("image") == "kcall:latest"
    }


def test_every_kcall_command_exists(compose: dict[str, Any]) -> None:
    commands = set(get_command(app).commands)  # type: ignore[attr-defined]
    for name, service in _kcall_services(compose).items():
        command = service["command"]
        words = command if command[0] == "kcall" else " ".join(command).split()
        used = [words[i + 1] for i, word in enumerate(words[:-1]) if word == "kcall"]
        assert used, name
        for sub in used:
            assert sub in commands, f"{name}: kcall {sub} does not exist"


def test_every_setting_is_real(compose: dict[str, Any]) -> None:
    known = {env for env, _, _ in settings_rows()}
    for name, service in _kcall_services(compose).items():
        for key in service.get("environment", {}):
            assert key in known, f"{name}: {key} is not a setting"


def test_dependencies_wait_for_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], dependency


def test_vllm_serves_with_prefix_caching_offline(compose: dict[str, Any]) -> None:
    vllm = compose["services"]["vllm"]
    assert "--enable-prefix-caching" in vllm["command"]
    assert any(arg.startswith("--max-model-len") for arg in vllm["command"])
    assert vllm["environment"]["HF_HUB_OFFLINE"] == "1"
    agent_env = compose["services"]["agent-worker"]["environment"]
    assert agent_env["KCALL_LLM_DIALECT"] == "vllm"


def test_image_build_file_exists(compose: dict[str, Any]) -> None:
    build = next(iter(_kcall_services(compose).values()))["build"]
    assert (ROOT / build["context"] / build["dockerfile"]).is_file()
