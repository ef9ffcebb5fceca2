"""compose.yaml is a valid Compose file and consistent with the code and the images it runs.

No Docker engine here: the file is validated against the Compose Specification's JSON
schema (vendored in tests/fixtures from check-jsonschema 0.39.0, Apache-2.0), commands are
parsed by the real CLI, environment variables are checked against the settings model, and
health-check executables against what each image is known to contain (ours: the Dockerfile).
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.main import get_command

from services.cli.main import app
from services.config.reference import settings_rows

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / ".ci" / "Dockerfile"
SCHEMA = ROOT / "tests" / "fixtures" / "compose-spec.json"

PINNED = re.compile(r"^[a-z0-9./_-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$")
INTERPOLATED_SECRET = re.compile(r"^\$\{[A-Z0-9_]+:\?[^}]+\}$")
SECRET_KEY = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY")
# What each third-party image is known to ship (checked by hand against the pinned tags):
# the Kafka distribution's scripts, pg_isready in postgres, python3 in vLLM's CUDA image,
# BusyBox wget in Prometheus' and Grafana's.
IMAGE_EXECUTABLES = {
    "apache/kafka": {
        "/opt/kafka/bin/kafka-broker-api-versions.sh", "/opt/kafka/bin/kafka-topics.sh",
    },
    "postgres": {"pg_isready", "psql"},
    "vllm/vllm-openai": {"python3"},
    "prom/prometheus": {"wget", "promtool"},
    "grafana/grafana": {"wget", "curl"},
}
GPU_SERVICES = {"vllm", "asr-worker"}
ONE_SHOT = {"migrate", "topics", "simulator"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return DOCKERFILE.read_text(encoding="utf-8")


def _kcall_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in compose["services"].items() if "build" in svc}


def _runtime_stage(dockerfile: str) -> str:
    return re.split(r"^FROM .*$", dockerfile, flags=re.MULTILINE)[-1]


def _kcall_invocations(command: list[str]) -> list[list[str]]:
    """The argument lists of every `kcall` run by a command (exec form or `sh -c`)."""
    words = command if command[0] == "kcall" else shlex.split(" ".join(command[2:]))
    segments: list[list[str]] = [[]]
    for word in words:
        if word in {"&&", "||", ";"}:
            segments.append([])
        else:
            segments[-1].append(word)
    return [segment[1:] for segment in segments if segment[:1] == ["kcall"]]


def test_valid_against_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_the_schema_rejects_a_broken_file(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = {**compose, "services": {"api": {"image": "x", "healthcheck": {"tset": []}}}}
    assert not jsonschema.Draft202012Validator(schema).is_valid(broken)


def test_every_kcall_command_parses_in_the_cli(compose: dict[str, Any]) -> None:
    root = get_command(app)
    for name, service in _kcall_services(compose).items():
        invocations = _kcall_invocations(service["command"])
        assert invocations and len(invocations) == " ".join(service["command"]).count("kcall")
        for args in invocations:
            command: Any = root
            rest = list(args)
            while hasattr(command, "get_command") and rest:
                sub = command.get_command(command.make_context("kcall", [], resilient_parsing=True),
                                          rest[0])  # fmt: skip
                assert sub is not None, f"{name}: kcall {' '.join(args)}: no {rest[0]!r}"
                command, rest = sub, rest[1:]
            assert not hasattr(command, "get_command"), f"{name}: {args} names a group only"
            try:
                command.make_context(command.name, rest)  # parses options, choices and types
            except Exception as error:  # noqa: BLE001 - typer's vendored click raises its own
                pytest.fail(f"{name}: kcall {' '.join(args)}: {error}")


def test_every_environment_variable_is_a_real_setting(
    compose: dict[str, Any], dockerfile: str
) -> None:
    known = {env for env, _, _ in settings_rows()}
    for name, service in _kcall_services(compose).items():
        for key in service.get("environment", {}):
            assert key in known, f"{name}: {key} is not a setting"
    for key in re.findall(r"\b(KCALL_[A-Z0-9_]+)=", dockerfile):
        assert key in known, f"Dockerfile: {key} is not a setting"


def test_no_secret_is_written_in_the_file(compose: dict[str, Any]) -> None:
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert ":-" not in "".join(re.findall(r"\$\{[^}]*\}", text)), "secrets have no defaults"
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            value = str(value)
            if SECRET_KEY.search(key) and value != "{}":  # {} = no static API keys
                assert INTERPOLATED_SECRET.match(value), f"{name}: {key} is written in the file"
            credentials = re.search(r"://[^/@\s]+:([^@\s]+)@", value)
            if credentials:
                assert INTERPOLATED_SECRET.match(credentials.group(1)), f"{name}: {key}"


def test_images_are_pinned(compose: dict[str, Any], dockerfile: str) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    for name, service in compose["services"].items():
        if "build" in service:
            assert service["image"] == f"kcall:{version}", name
        else:
            assert PINNED.match(service["image"]), f"{name}: {service['image']} is not pinned"
    bases = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile, flags=re.MULTILINE)
    assert len(bases) == 1 and PINNED.match(bases[0])
    for line in re.findall(r"^FROM (\S+)", dockerfile, flags=re.MULTILINE):
        assert line == "${PYTHON_IMAGE}"


def test_gpu_reservations_exactly_where_models_run_on_the_gpu(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        reservations = service.get("deploy", {}).get("resources", {}).get("reservations", {})
        devices = reservations.get("devices", [])
        gpu = any("gpu" in d.get("capabilities", []) and d.get("driver") == "nvidia"
                  for d in devices)  # fmt: skip
        assert gpu == (name in GPU_SERVICES), name
    asr = compose["services"]["asr-worker"]["environment"]
    assert asr["KCALL_ASR_DEVICE"] == "cuda"
    assert asr["KCALL_ASR_COMPUTE_TYPE"] == "float16"
    assert int(asr["KCALL_ASR_BATCH_SIZE"]) > 1
    assert asr["KCALL_ASR_MODEL_DIR"].startswith("/models/")


def test_every_health_check_command_exists_in_its_image(
    compose: dict[str, Any], dockerfile: str
) -> None:
    ours = set(re.findall(r"install -y --no-install-recommends ([^\n&]+)",
                          _runtime_stage(dockerfile))[0].split())  # fmt: skip
    ours.add("kcall")
    for name, service in compose["services"].items():
        check = service.get("healthcheck")
        if check is None:
            continue
        kind, *args = check["test"]
        assert kind in {"CMD", "CMD-SHELL"}, name
        executable = shlex.split(args[0])[0] if kind == "CMD-SHELL" else args[0]
        if "build" in service:
            available = ours
        else:
            repository = service["image"].split(":")[0]
            available = IMAGE_EXECUTABLES[repository]
        assert executable in available, f"{name}: {executable} is not in its image"


def test_long_running_services_have_health_checks_and_gates(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        if name not in ONE_SHOT:
            assert "healthcheck" in service, f"{name} has no health check"
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], dependency
            if rule["condition"] == "service_completed_successfully":
                assert dependency in ONE_SHOT and services[dependency]["restart"] == "no"
    for name, service in _kcall_services(compose).items():
        if service["command"][:2] == ["kcall", "worker"]:
            gates = service["depends_on"]
            assert gates["kafka"]["condition"] == "service_healthy", name
            assert gates["topics"]["condition"] == "service_completed_successfully", name
            assert gates["migrate"]["condition"] == "service_completed_successfully", name
    assert services["model-worker"]["depends_on"]["vllm"]["condition"] == "service_healthy"


def test_kafka_runs_kraft_and_topics_are_created_with_partitions(compose: dict[str, Any]) -> None:
    services = compose["services"]
    kafka = services["kafka"]["environment"]
    assert "controller" in kafka["KAFKA_PROCESS_ROLES"]
    assert kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert not any("zookeeper" in name for name in services)
    assert services["topics"]["command"] == ["kcall", "topics"]
    partitions = int(services["topics"]["environment"]["KCALL_KAFKA_PARTITIONS"])
    replicas = max(s.get("deploy", {}).get("replicas", 1) for s in services.values())
    assert partitions >= replicas and partitions >= 12
    assert any(v.startswith("pg-data:") for v in services["postgres"]["volumes"])
    assert any(v.startswith("kafka-data:") for v in services["kafka"]["volumes"])
    assert services["agent-worker"]["deploy"]["replicas"] >= 2


def test_vllm_serves_with_prefix_caching_offline(compose: dict[str, Any]) -> None:
    vllm = compose["services"]["vllm"]
    assert "--enable-prefix-caching" in vllm["command"]
    assert any(arg.startswith("--max-model-len") for arg in vllm["command"])
    assert vllm["environment"]["HF_HUB_OFFLINE"] == "1"
    served = next(a.split("=", 1)[1] for a in vllm["command"] if a.startswith("--served-model"))
    for service in _kcall_services(compose).values():
        env = service["environment"]
        assert env["KCALL_LLM_DIALECT"] == "vllm"  # response_format json_schema
        assert env["KCALL_LLM_MODEL"] == served
        assert env["KCALL_LLM_API_KEY"] == vllm["environment"]["VLLM_API_KEY"]


def test_profiles_hold_the_simulator_and_monitoring(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["simulator"]["profiles"] == ["simulator"]
    assert services["prometheus"]["profiles"] == ["monitoring"]
    assert services["grafana"]["profiles"] == ["monitoring"]
    unprofiled = {n for n, s in services.items() if "profiles" not in s}
    assert {"kafka", "postgres", "vllm", "api", "sink-worker"} <= unprofiled
    for volume in services["prometheus"]["volumes"] + services["grafana"]["volumes"]:
        source = volume.split(":")[0]
        if source.startswith("./"):
            assert (ROOT / source).exists(), source


def test_prometheus_scrapes_every_worker_and_the_api(compose: dict[str, Any]) -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    sd = jobs["kcall-workers"]["dns_sd_configs"][0]
    workers = {name for name, s in _kcall_services(compose).items()
               if s["command"][:2] == ["kcall", "worker"]}  # fmt: skip
    assert set(sd["names"]) == workers
    for name in workers:
        env = compose["services"][name]["environment"]
        assert int(env["KCALL_KAFKA_METRICS_PORT"]) == sd["port"], name
    assert jobs["kcall-api"]["static_configs"][0]["targets"] == ["api:8080"]
    provider = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/dashboards/kcall.yml").read_text()
    )["providers"][0]
    mounts = dict(v.split(":")[:2] for v in compose["services"]["grafana"]["volumes"])
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]


def test_one_multi_stage_non_root_dockerfile(compose: dict[str, Any], dockerfile: str) -> None:
    builds = {(s["build"]["context"], s["build"]["dockerfile"])
              for s in _kcall_services(compose).values()}  # fmt: skip
    assert builds == {(".", ".ci/Dockerfile")}
    assert len(re.findall(r"^FROM ", dockerfile, flags=re.MULTILINE)) >= 2
    runtime = _runtime_stage(dockerfile)
    user = re.findall(r"^USER (\S+)$", runtime, flags=re.MULTILINE)
    assert user and user[-1].split(":")[0] not in {"0", "root"}
    assert "COPY --from=build" in runtime
    assert "build-essential" not in runtime  # compilers stay in the build stage
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignore[ignore.index("**")] == "**"  # everything out, then what the build copies
    for source in re.findall(r"^COPY (?!--)(.+) \S+$", dockerfile, flags=re.MULTILINE):
        for path in source.split():
            assert f"!{path}" in ignore, f"{path} is copied but excluded by .dockerignore"
            assert (ROOT / path).exists(), path


def test_every_kcall_process_writes_spans_to_the_shared_volume(compose: dict[str, Any]) -> None:
    assert "traces" in compose["volumes"]
    for name, service in _kcall_services(compose).items():
        spans = service["environment"].get("KCALL_TRACE_FILE", "/var/lib/kcall/traces/spans.jsonl")
        mounts = dict(v.split(":")[:2] for v in service["volumes"])
        assert mounts.get("traces") == str(Path(spans).parent), name
