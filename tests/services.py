"""Real services for the scaled mode's tests: Redis and a Kafka broker started by the
project's own scripts on loopback, and a platform of separate processes (gateway and the
three workers) in a namespace of its own, so several platforms can share one broker."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from harness import REPO, VDISPATCH, Platform, ServerProcess

from schemas.common import Role

WORKERS = ("dispatcher", "activities", "ledger", "live")
DUMP_PLATFORM = """
import sys, redis
from kafka import KafkaConsumer, TopicPartition
bootstrap, url, namespace = sys.argv[1:4]
out = sys.stdout.buffer
consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), enable_auto_commit=False)
for topic in sorted(t for t in consumer.topics() if t.startswith(namespace + ".")):
    tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    ends = consumer.end_offsets(tps)
    while any(consumer.position(tp) < ends[tp] for tp in tps):
        for records in consumer.poll(timeout_ms=1000).values():
            for record in records:
                out.write((record.key or b"") + (record.value or b""))
consumer.close()
r = redis.Redis.from_url(url)
for key in r.scan_iter(match=namespace + ":*", count=1000):
    kind = r.type(key).decode()
    values = {"string": lambda: [r.get(key)], "hash": lambda: r.hgetall(key).items(),
              "list": lambda: r.lrange(key, 0, -1), "set": lambda: r.smembers(key),
              "zset": lambda: r.zrange(key, 0, -1)}.get(kind, lambda: [])()
    out.write(key + repr(list(values)).encode())
"""


@dataclass
class Services:
    kafka_bootstrap: str
    redis_url: str
    data_dir: Path
    started: list[str] = field(default_factory=list)

    def stop(self) -> None:
        env = {**os.environ, "VD_DATA_DIR": str(self.data_dir)}
        for script in reversed(self.started):
            subprocess.run([str(REPO / "scripts" / script), "stop"], env=env,
                           capture_output=True, timeout=60, check=False)


def why_not_redis() -> str | None:
    return None if shutil.which("redis-server") else "`redis-server` is not installed"


def why_not_scaled() -> str | None:
    """What is missing on this machine for a real broker and Redis, if anything."""
    for tool in ("java", "redis-server"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed"
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "vdispatch"
    if shutil.which("mvn") is None and not any(cache.glob("kafka-*")):
        return "neither Maven nor a cached Kafka is available"
    return None


REQUIRE_SERVICES = os.environ.get("VD_REQUIRE_SERVICES") == "1"


def missing_service(what: str, why: str) -> None:
    """Skip loudly on a laptop; fail in CI, where every service must be there."""
    message = f"{what} is not available: {why}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (VD_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(message)


def start_services(data_dir: Path, own: bool = False, redis_url: str | None = None,
                   kafka: bool = True) -> Services:
    """Use VD_TEST_KAFKA_BOOTSTRAP / VD_TEST_REDIS_URL (or `redis_url`) when given (unless
    `own`), else start our own; without `kafka`, Redis only."""
    given_kafka = None if own else os.environ.get("VD_TEST_KAFKA_BOOTSTRAP")
    given_redis = None if own else (redis_url or os.environ.get("VD_TEST_REDIS_URL"))
    services = Services(given_kafka or "", given_redis or "", data_dir)
    env = {**os.environ, "VD_DATA_DIR": str(data_dir)}
    wanted = (("redis-local", "redis_url"), ("kafka-local", "kafka_bootstrap"))
    for script, attr in wanted if kafka else wanted[:1]:
        if getattr(services, attr):
            continue
        done = subprocess.run([str(REPO / "scripts" / script), "start"], env=env,
                              capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            services.stop()
            raise RuntimeError(f"{script} failed:\n{done.stderr[-3000:]}")
        services.started.append(script)
        setattr(services, attr, done.stdout.strip().splitlines()[-1])
    return services


class ScaledPlatform:
    """Gateway and workers as separate processes, bound to the shared broker and Redis."""

    def __init__(self, services: Services, tmp: Path, secret: str, env: dict[str, str],
                 name: str) -> None:
        self.namespace = f"t{uuid.uuid4().hex[:8]}"
        self.env = {
            "VD_MODE": "kafka", "VD_KAFKA_BOOTSTRAP": services.kafka_bootstrap,
            "VD_REDIS_URL": services.redis_url, "VD_NAMESPACE": self.namespace,
            "VD_SECRET": secret, **env,
        }
        self.tmp = tmp
        self.name = name
        self.gateway = ServerProcess(tmp / f"{name}-gateway", self.env, ["gateway"],
                                     log_name="gateway")
        self.workers = {role: ServerProcess(tmp / f"{name}-{role}", self.env,
                                            ["worker", role], log_name=role)
                        for role in WORKERS}

    def add_worker(self, role: str, label: str) -> ServerProcess:
        """Another worker of a role, in the same consumer group."""
        worker = ServerProcess(self.tmp / f"{self.name}-{label}", self.env, ["worker", role],
                               log_name=label)
        self.workers[label] = worker
        worker.start()
        return worker

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """A `vdispatch` command in this platform's environment."""
        return subprocess.run([VDISPATCH, *args], env={**os.environ, **self.env},
                              capture_output=True, text=True, timeout=300, check=False)

    async def raw_log(self, topic: str, key: str, body: bytes) -> None:
        """`Platform.raw_log`: bytes produced straight onto one of this platform's topics."""
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(bootstrap_servers=self.env["VD_KAFKA_BOOTSTRAP"])
        await producer.start()
        try:
            await producer.send_and_wait(f"{self.namespace}.{topic}", body, key=key.encode())
        finally:
            await producer.stop()

    async def kept(self) -> bytes:
        """Every record of this platform's topics and every value of its Redis keys."""
        done = await asyncio.to_thread(subprocess.run, [
            sys.executable, "-c", DUMP_PLATFORM, self.env["VD_KAFKA_BOOTSTRAP"],
            self.env["VD_REDIS_URL"], self.namespace], capture_output=True, timeout=120,
            check=True)
        return done.stdout

    def create_topics(self) -> None:
        done = subprocess.run([VDISPATCH, "topics", "create"],
                              env={**os.environ, **self.env}, capture_output=True, text=True,
                              timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"topics create failed: {done.stderr[-3000:]}")

    async def start(self, platform: Platform) -> None:
        await asyncio.to_thread(self.create_topics)
        for worker in self.workers.values():
            worker.start()
        self.gateway.start()
        await self.gateway.wait_ready()
        await self.ready(platform)

    async def ready(self, platform: Platform, timeout_s: float = 90.0) -> None:
        """Every worker has joined and answers: an area, a gift and the live board."""
        staff = platform.as_(Role.STAFF, "S-probe")
        deadline = time.monotonic() + timeout_s
        probe = f"{uuid.uuid4().int % 900000 + 100000}"
        checks = [
            ("/api/v1/areas", {"code": probe, "name": "probe"}),
            ("/api/v1/catalog", {"item_id": f"probe-{probe}", "name": "probe", "points": 1,
                                 "stock": 0}),
        ]
        for path, body in checks:
            while True:
                self.assert_alive()
                reply = await staff.post(path, body, key=f"probe-{path}-{probe}")
                if reply.status in (200, 201):
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the scaled platform is not ready: {reply.body}")
                await asyncio.sleep(0.5)
        while (await staff.get("/api/v1/live")).body.get("events", 0) == 0:
            self.assert_alive()
            if time.monotonic() > deadline:
                raise TimeoutError("the live worker is not ready")
            await asyncio.sleep(0.5)

    def assert_alive(self) -> None:
        for name, process in (("gateway", self.gateway), *self.workers.items()):
            assert process.process is not None
            if process.process.poll() is not None:
                raise RuntimeError(f"{name} exited; see {process.log_path}:\n"
                                   + process.log_path.read_text()[-3000:])

    def stop(self) -> None:
        self.gateway.stop()
        for worker in self.workers.values():
            worker.stop()


async def scaled_platform(services: Services, tmp: Path, http: aiohttp.ClientSession,
                          secret: str, env: dict[str, str], name: str
                          ) -> tuple[ScaledPlatform, Platform]:
    scaled = ScaledPlatform(services, tmp, secret, env, name)
    platform = Platform(scaled.gateway.base_url, secret, "kafka", http, env, scaled.raw_log,
                        scaled.kept, lambda: "".join(w.log_path.read_text(errors="replace")
                                                     for w in scaled.workers.values()))
    try:
        await scaled.start(platform)
    except BaseException:
        scaled.stop()
        raise
    return scaled, platform
