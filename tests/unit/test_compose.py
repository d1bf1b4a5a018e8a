"""docker-compose.yml cannot run here (no Docker engine), so it is checked as data: every
service of the platform is there with health checks and the right start order, commands are
real `vdispatch` commands, the environment names real settings, and nothing is published
beyond the gateway on the host's loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from runtime.cli import main
from runtime.settings import ENV_PREFIX, Settings

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_every_part_of_the_scaled_mode_is_a_service() -> None:
    services = compose()["services"]
    assert set(services) == {"kafka", "redis", "topics", "gateway", "dispatcher", "ledger",
                             "live"}
    assert services["kafka"]["image"].startswith("apache/kafka:3.9")
    assert "--appendonly" in services["redis"]["command"]
    for name in ("kafka", "redis", "gateway"):
        assert "healthcheck" in services[name], name


def test_parts_start_in_order() -> None:
    services = compose()["services"]
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name in ("gateway", "dispatcher", "ledger", "live"):
        deps = services[name]["depends_on"]
        assert deps["topics"]["condition"] == "service_completed_successfully", name
        assert deps["redis"]["condition"] == "service_healthy", name


def test_commands_are_vdispatch_commands(capsys: Any) -> None:
    services = compose()["services"]
    for name in ("topics", "gateway", "dispatcher", "ledger", "live"):
        command = services[name]["command"]
        try:
            main([*command, "--help"])
        except SystemExit as e:
            assert e.code == 0, f"{name}: {command}"
    capsys.readouterr()


def test_the_environment_names_real_settings() -> None:
    services = compose()["services"]
    fields = {ENV_PREFIX + f.upper() for f in Settings.model_fields}
    for name in ("gateway", "dispatcher", "ledger", "live", "topics"):
        env = services[name]["environment"]
        assert set(env) <= fields, name
        assert env["VD_MODE"] == "kafka"


def test_only_the_gateway_is_published_and_only_on_loopback() -> None:
    services = compose()["services"]
    published = {name: s["ports"] for name, s in services.items() if "ports" in s}
    assert published == {"gateway": ["127.0.0.1:8080:8080"]}
