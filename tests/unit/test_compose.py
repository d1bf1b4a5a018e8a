"""docker-compose.yml cannot run here (no Docker engine), so it is checked as data: every
service of the platform is there with health checks and the right start order, commands are
real `vdispatch` commands, the environment names real settings, and nothing is published
beyond the gateway on the host's loopback. The same holds with the three-broker override
(docker-compose.cluster.yml), read as `docker compose -f docker-compose.yml -f
docker-compose.cluster.yml` reads it; there the brokers form one quorum with their own
storage, and the platform's topics keep an acknowledged write on two brokers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from runtime.cli import main
from runtime.settings import ENV_PREFIX, Settings
from runtime.topics_tool import durability

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
CLUSTER = COMPOSE.with_name("docker-compose.cluster.yml")
PLATFORM = ("topics", "gateway", "dispatcher", "activities", "ledger", "live")
BROKERS = ("kafka", "kafka-2", "kafka-3")


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def compose() -> dict[str, Any]:
    return load(COMPOSE)


def merge(base: Any, override: Any, key: str = "") -> Any:
    """What `docker compose -f BASE -f OVERRIDE` makes of the parts these files use: mappings
    merge key by key, a service's volumes by their path in the container, ports add up, and
    any other value (a command, a health check's test) is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for k, v in override.items():
            merged[k] = merge(base[k], v, k) if k in base else v
        return merged
    if isinstance(base, list) and isinstance(override, list):
        if key == "volumes":
            by_target = {v.split(":")[1]: v for v in base}
            by_target.update({v.split(":")[1]: v for v in override})
            return list(by_target.values())
        if key == "ports":
            return base + [p for p in override if p not in base]
    return override


def cluster() -> dict[str, Any]:
    merged: dict[str, Any] = merge(compose(), load(CLUSTER))
    return merged


@pytest.fixture(params=["single", "cluster"])
def variant(request: pytest.FixtureRequest) -> dict[str, Any]:
    return compose() if request.param == "single" else cluster()


def test_every_part_of_the_scaled_mode_is_a_service() -> None:
    services = compose()["services"]
    assert set(services) == {"kafka", "redis", "topics", "gateway", "dispatcher",
                             "activities", "ledger", "live"}
    assert services["kafka"]["image"].startswith("apache/kafka:3.9")
    assert "--appendonly" in services["redis"]["command"]
    for name in ("kafka", "redis", "gateway"):
        assert "healthcheck" in services[name], name


def test_parts_start_in_order(variant: dict[str, Any]) -> None:
    services = variant["services"]
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name in ("gateway", "dispatcher", "activities", "ledger", "live"):
        deps = services[name]["depends_on"]
        assert deps["topics"]["condition"] == "service_completed_successfully", name
        assert deps["redis"]["condition"] == "service_healthy", name


def test_commands_are_vdispatch_commands(variant: dict[str, Any], capsys: Any) -> None:
    services = variant["services"]
    for name in ("topics", "gateway", "dispatcher", "activities", "ledger", "live"):
        command = services[name]["command"]
        try:
            main([*command, "--help"])
        except SystemExit as e:
            assert e.code == 0, f"{name}: {command}"
    capsys.readouterr()


def test_the_environment_names_real_settings(variant: dict[str, Any]) -> None:
    services = variant["services"]
    fields = {ENV_PREFIX + f.upper() for f in Settings.model_fields}
    for name in ("gateway", "dispatcher", "activities", "ledger", "live", "topics"):
        env = services[name]["environment"]
        assert set(env) <= fields, name
        assert env["VD_MODE"] == "kafka"


def test_only_the_gateway_is_published_and_only_on_loopback(variant: dict[str, Any]) -> None:
    services = variant["services"]
    published = {name: s["ports"] for name, s in services.items() if "ports" in s}
    assert published == {"gateway": ["127.0.0.1:8080:8080"]}


def test_every_named_volume_is_declared(variant: dict[str, Any]) -> None:
    declared = set(variant["volumes"])
    for name, service in variant["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith((".", "/")) or source in declared, (name, volume)


def test_the_cluster_variant_adds_two_brokers_of_the_same_image() -> None:
    single, services = compose()["services"], cluster()["services"]
    assert set(services) == set(single) | {"kafka-2", "kafka-3"}
    for name in BROKERS:
        assert services[name]["image"] == single["kafka"]["image"], name
        assert services[name]["healthcheck"] == single["kafka"]["healthcheck"], name


def test_the_brokers_form_one_quorum() -> None:
    services = cluster()["services"]
    envs = {name: services[name]["environment"] for name in BROKERS}
    ids = {name: int(env["KAFKA_NODE_ID"]) for name, env in envs.items()}
    assert sorted(ids.values()) == [1, 2, 3]
    voters = {f"{ids[name]}@{name}:9093" for name in BROKERS}
    for name, env in envs.items():
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller", name
        assert set(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == voters, name
        assert set(env["KAFKA_LISTENERS"].split(",")) == {"PLAINTEXT://:9092",
                                                          "CONTROLLER://:9093"}, name
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092", name
    [cluster_id] = {env["CLUSTER_ID"] for env in envs.values()}
    assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{21}", cluster_id)


def test_each_broker_has_its_own_storage() -> None:
    services = cluster()["services"]
    sources = []
    for name in BROKERS:
        data = services[name]["environment"]["KAFKA_LOG_DIRS"]
        [mount] = [v for v in services[name]["volumes"] if v.split(":")[1] == data]
        sources.append(mount.split(":")[0])
    assert len(set(sources)) == len(BROKERS)
    assert "kafka-data" not in sources  # the single broker's storage, formatted for one node


def test_an_acknowledged_write_rests_on_two_of_three_brokers() -> None:
    services = cluster()["services"]
    for name in BROKERS:
        env = services[name]["environment"]
        for factor in ("OFFSETS_TOPIC", "TRANSACTION_STATE_LOG", "SHARE_COORDINATOR_STATE_TOPIC"):
            assert int(env[f"KAFKA_{factor}_REPLICATION_FACTOR"]) == 3, (name, factor)
        for insync in ("TRANSACTION_STATE_LOG", "SHARE_COORDINATOR_STATE_TOPIC"):
            assert int(env[f"KAFKA_{insync}_MIN_ISR"]) == 2, (name, insync)
        assert int(env["KAFKA_DEFAULT_REPLICATION_FACTOR"]) == 3, name
        assert int(env["KAFKA_MIN_INSYNC_REPLICAS"]) == 2, name
    topics = services["topics"]["environment"]
    settings = Settings(topic_replication=topics["VD_TOPIC_REPLICATION"],
                        topic_min_insync=topics["VD_TOPIC_MIN_INSYNC"])
    assert durability(len(BROKERS), settings.topic_replication,
                      settings.topic_min_insync) == (3, 2)


def test_the_platform_bootstraps_from_every_broker() -> None:
    services = cluster()["services"]
    brokers = {services[name]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
               .removeprefix("PLAINTEXT://") for name in BROKERS}
    for name in PLATFORM:
        assert set(services[name]["environment"]["VD_KAFKA_BOOTSTRAP"].split(",")) == brokers
        for broker in BROKERS:
            assert services[name]["depends_on"][broker]["condition"] == "service_healthy", (
                name, broker)


def test_the_image_holds_every_package_of_the_platform() -> None:
    """The Dockerfile copies each package pyproject.toml installs (a missing one builds an
    image that fails at its first import), and the font certificates embed."""
    pyproject = (COMPOSE.with_name("pyproject.toml")).read_text()
    included = re.search(r"include = \[(.*?)\]", pyproject)
    assert included is not None
    packages = {name.strip().strip('"').rstrip("*") for name in included.group(1).split(",")}
    dockerfile = COMPOSE.with_name("Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, re.M))
    assert copied == packages
    assert "fonts-wqy-microhei" in dockerfile
