"""A real three-broker cluster loses its partition leader mid-stream, and nothing that was
acknowledged is lost.

How: `scripts/kafka-local start --brokers 3` on loopback; the catalogue is created as an
operator does (`scripts/topics create`), which gives every topic three replicas and
`min.insync.replicas` 2 (checked on the brokers themselves); a scaled platform (gateway and
workers as processes) takes orders from clients that retry with their Idempotency-Keys on
202 and 503; meanwhile the broker leading the partition of the district's county on the
command topic is killed (SIGKILL), and later started again. Proves: every order a client was
answered 201 for is in the event topic, submitted once and dispatched once (whatever the
retries and redeliveries, one event id each), and the platform takes orders throughout.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka.partitioner import murmur2
from harness import REPO, Platform, make_district
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType
from services import Services, missing_service, scaled_platform, why_not_scaled

from schemas.common import Role
from schemas.topics import DISPATCH_COMMANDS, DISPATCH_EVENTS

SECRET = "cluster-secret-0123456789-0123456789-abcdef"
ORDERS = 60
pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def kafka_local(data_dir: Path, *args: str) -> str:
    done = subprocess.run([str(REPO / "scripts" / "kafka-local"), *args],
                          env={**os.environ, "VD_DATA_DIR": str(data_dir)},
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def leader_of(bootstrap: str, topic: str, partition: int) -> int:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="cluster-test")
    try:
        [described] = admin.describe_topics([topic])
        return int(next(p["leader_id"] for p in described["partitions"]
                        if p["partition_index"] == partition))
    finally:
        admin.close()


def durability_of(bootstrap: str, topic: str) -> tuple[int, str]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="cluster-test")
    try:
        [described] = admin.describe_topics([topic])
        replicas = len(described["partitions"][0]["replica_nodes"])
        configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)],
                                         config_filter="all")
        return replicas, str(configs["topic"][topic]["min.insync.replicas"]["value"])
    finally:
        admin.close()


async def order(platform: Platform, area: str, n: int) -> str:
    """One order, retried with its key until it is answered 201."""
    client = platform.as_(Role.RESIDENT, f"R-cluster-{n}")
    for _ in range(600):
        try:
            reply = await client.post("/api/v1/requests", {
                "service_type": "groceries", "area": area, "address": f"{n}栋"},
                key=f"cluster-{n}")
        except (TimeoutError, aiohttp.ClientError):
            await asyncio.sleep(0.2)
            continue
        if reply.status == 201:
            request_id: str = reply.body["request_id"]
            return request_id
        assert reply.status in (202, 503), reply.body
        await asyncio.sleep(0.2)
    raise AssertionError(f"order {n} was never answered")


def events_of(bootstrap: str, topic: str) -> list[Any]:
    done = subprocess.run([sys.executable, "-c", READ_TOPIC, bootstrap, topic],
                          capture_output=True, text=True, timeout=120, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]


READ_TOPIC = """
import json, sys
from kafka import KafkaConsumer, TopicPartition
bootstrap, topic = sys.argv[1], sys.argv[2]
consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), enable_auto_commit=False)
tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
consumer.assign(tps)
consumer.seek_to_beginning(*tps)
ends = consumer.end_offsets(tps)
while any(consumer.position(tp) < ends[tp] for tp in tps):
    for records in consumer.poll(timeout_ms=1000).values():
        for record in records:
            print(record.value.decode())
consumer.close()
"""


async def test_the_leader_of_the_command_partition_dies_and_nothing_is_lost(
    tmp_path: Path, http: aiohttp.ClientSession, redis_service: Services
) -> None:
    why = why_not_scaled()
    if why is not None:
        missing_service("a Kafka cluster", why)
    data_dir = tmp_path / "cluster"
    bootstrap = await asyncio.to_thread(kafka_local, data_dir, "start", "--brokers", "3")
    assert len(bootstrap.split(",")) == 3, bootstrap
    services = Services(bootstrap, redis_service.redis_url, data_dir)
    env = {"VD_PRODUCE_TIMEOUT_S": "5", "VD_KAFKA_SESSION_TIMEOUT_S": "6"}
    try:
        scaled, platform = await scaled_platform(services, tmp_path, http, SECRET, env,
                                                 "cluster")
        try:
            commands = f"{scaled.namespace}.{DISPATCH_COMMANDS.name}"
            events = f"{scaled.namespace}.{DISPATCH_EVENTS.name}"
            assert await asyncio.to_thread(durability_of, bootstrap, commands) == (3, "2")
            assert await asyncio.to_thread(durability_of, bootstrap, events) == (3, "2")
            district = await make_district(platform)
            r = await district.staff.post("/api/v1/teams", {
                "team_id": f"T{district.county}-big", "name": "大队", "leader_id": "L-big",
                "service_types": ["groceries"], "areas": [district.county], "capacity": 1000})
            assert r.status == 201, r.body
            partition = (murmur2(district.county.encode()) & 0x7FFFFFFF) % (
                DISPATCH_COMMANDS.partitions)
            leader = await asyncio.to_thread(leader_of, bootstrap, commands, partition)

            first = [asyncio.create_task(order(platform, district.hamlet, n))
                     for n in range(ORDERS // 2)]
            await asyncio.sleep(0.5)
            await asyncio.to_thread(kafka_local, data_dir, "kill", "--node", str(leader))
            rest = [asyncio.create_task(order(platform, district.hamlet, n))
                    for n in range(ORDERS // 2, ORDERS)]
            answered = await asyncio.wait_for(asyncio.gather(*first, *rest), 300)
            new_leader = await asyncio.to_thread(leader_of, bootstrap, commands, partition)
            assert new_leader != leader
            await asyncio.to_thread(kafka_local, data_dir, "start", "--node", str(leader))
            late = await asyncio.wait_for(order(platform, district.hamlet, ORDERS), 120)
        finally:
            scaled.stop()
        found = await asyncio.to_thread(events_of, bootstrap, events)
        submitted = Counter(e["request_id"] for e in {e["event_id"]: e for e in found}.values()
                            if e["type"] == "RequestSubmitted")
        dispatched = Counter(e["request_id"] for e in {e["event_id"]: e for e in found}.values()
                             if e["type"] == "RequestDispatched")
        for request_id in [*answered, late]:
            assert submitted[request_id] == 1, request_id
            assert dispatched[request_id] == 1, request_id
    finally:
        await asyncio.to_thread(kafka_local, data_dir, "stop")
