"""The scaled mode's gateway side: commands go to Kafka with an idempotent producer
(acks=all); answers come back through Redis, where each owner leaves the outcome and
publishes it the moment the command is applied; health is read from Redis, the broker and the
workers' heartbeats."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import ValidationError
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from gateway.ports import Unavailable
from runtime.redis_keys import key_record
from runtime.redis_store import RedisStore
from runtime.settings import Settings
from schemas.base import Command, CommandOutcome
from schemas.topics import COMMAND_OUTCOMES, PERSON_KEYS, encode, topic_of

log = logging.getLogger("vdispatch.kafka_bus")
WORKER_ROLES = ("dispatcher", "activities", "ledger", "live")
HEARTBEAT_REFRESH_S = 2.0


class KafkaCommandBus:
    def __init__(self, settings: Settings, store: RedisStore) -> None:
        self.settings = settings
        self.store = store
        self.producer: AIOKafkaProducer | None = None
        self._waiters: dict[UUID, list[asyncio.Future[CommandOutcome]]] = {}
        self._pubsub: PubSub | None = None
        self._listener: asyncio.Task[None] | None = None
        self.broker_ok = False
        """Whether the last attempt to reach the broker succeeded."""

    async def start(self) -> None:
        """Connect; a broker that is down now is retried on each command (503 until then)."""
        self._pubsub = self.store.redis.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(self.store.keys.outcomes_channel)
        self._listener = asyncio.create_task(self._listen(), name="outcomes")
        with contextlib.suppress(Unavailable):
            await self.connect()

    async def connect(self) -> AIOKafkaProducer:
        if self.producer is not None:
            return self.producer
        producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap, acks="all",
            enable_idempotence=True, linger_ms=1,
            request_timeout_ms=int(self.settings.produce_timeout_s * 1000),
            client_id=self.settings.group_id("gateway"),
        )
        try:
            await asyncio.wait_for(producer.start(), self.settings.produce_timeout_s)
        except (KafkaError, TimeoutError, OSError) as e:
            log.warning("the broker is not reachable: %r", e)
            self.broker_ok = False
            await producer.stop()
            raise Unavailable("the message broker is not reachable") from e
        self.producer = producer
        self.broker_ok = True
        return producer

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._pubsub is not None:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        if self.producer is not None:
            await self.producer.stop()

    async def _listen(self) -> None:
        """Answers as the owners publish them. Losing the channel loses nothing: a caller
        whose answer went by meanwhile finds it kept in Redis when it polls."""
        assert self._pubsub is not None
        while True:
            try:
                async for message in self._pubsub.listen():
                    try:
                        outcome: CommandOutcome = COMMAND_OUTCOMES.adapter.validate_json(
                            message["data"])
                    except ValidationError:
                        log.warning("an answer on the outcomes channel did not validate")
                        continue
                    for future in self._waiters.pop(outcome.command_id, []):
                        if not future.done():
                            future.set_result(outcome)
            except Exception:
                log.exception("lost the outcomes channel; subscribing again")
                await asyncio.sleep(1.0)

    async def send(self, command: Command) -> None:
        producer = await self.connect()
        topic = self.settings.topic_name(topic_of(command).name)
        try:
            delivery = await producer.send(topic, encode(command),
                                           key=command.partition_key.encode())
            await asyncio.wait_for(delivery, self.settings.produce_timeout_s)
        except (KafkaError, TimeoutError) as e:
            self.broker_ok = False
            raise Unavailable("the message broker did not take the command") from e
        self.broker_ok = True

    async def publish_key(self, person: str, key: bytes | None) -> None:
        """A person's data key (or its tombstone) onto the compacted key topic, acknowledged
        by the in-sync replicas before the key is used or counted erased."""
        producer = await self.connect()
        topic = self.settings.topic_name(PERSON_KEYS.name)
        try:
            delivery = await producer.send(topic, key_record(person, key), key=person.encode())
            await asyncio.wait_for(delivery, self.settings.produce_timeout_s)
        except (KafkaError, TimeoutError) as e:
            self.broker_ok = False
            raise Unavailable("the message broker did not take the key") from e
        self.broker_ok = True

    async def outcome(self, command_id: UUID, wait_s: float) -> CommandOutcome | None:
        future: asyncio.Future[CommandOutcome] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(command_id, []).append(future)
        try:
            found = await self.store.outcome(command_id)
            if found is not None or wait_s <= 0:
                return found
            return await asyncio.wait_for(future, wait_s)
        except TimeoutError:
            return None
        finally:
            waiting = self._waiters.get(command_id, [])
            if future in waiting:
                waiting.remove(future)
            if not waiting:
                self._waiters.pop(command_id, None)


class ScaledHealth:
    """`/healthz` of a gateway of the scaled mode: Redis answers, the broker takes commands,
    and every kind of worker has a live worker reporting no trouble. The workers' heartbeats
    are also the gateway's `/metrics` of them."""

    def __init__(self, store: RedisStore, bus: KafkaCommandBus,
                 registry: CollectorRegistry) -> None:
        self.store = store
        self.bus = bus
        self.beats: list[dict[str, Any]] = []
        registry.register(_WorkerCollector(self))

    async def refresh(self, every_s: float = HEARTBEAT_REFRESH_S) -> None:
        """Keep the workers' heartbeats fresh for `/metrics` between health checks; a Redis
        that does not answer is waited for."""
        while True:
            try:
                self.beats = await self.store.heartbeats()
            except Exception:
                log.warning("could not read the workers' heartbeats", exc_info=True)
            await asyncio.sleep(every_s)

    async def report(self) -> tuple[bool, dict[str, object]]:
        problems: dict[str, str] = {}
        try:
            await self.store.redis.ping()
            self.beats = await self.store.heartbeats()
            snapshot = await self.store.live()
        except (RedisError, Unavailable) as e:
            return False, {"mode": "kafka", "problems": {"redis": f"not reachable: {e!r}"}}
        if not self.bus.broker_ok:
            try:
                await self.bus.connect()
            except Unavailable as e:
                problems["broker"] = str(e)
        for role in WORKER_ROLES:
            if not any(b.get("role") == role for b in self.beats):
                problems[f"workers:{role}"] = "no worker of this kind is running"
        for beat in self.beats:
            for what, why in beat.get("problems", {}).items():
                problems[f"{beat['role']}/{beat['worker']}:{what}"] = why
        return not problems, {
            "mode": "kafka",
            "workers": sorted(f"{b['role']}/{b['worker']}" for b in self.beats),
            "dead_letters": 0 if snapshot is None else snapshot.dead_letters,
            "live_position": 0 if snapshot is None else snapshot.position,
            "problems": problems,
        }


class _WorkerCollector(Collector):
    """The workers' task states and restarts, from their last heartbeats."""

    def __init__(self, health: ScaledHealth) -> None:
        self.health = health

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("vd_worker_task_up", "1 while a worker's background task runs",
                               labels=["role", "worker", "task"])
        restarts = CounterMetricFamily("vd_worker_task_restarts", "A worker's background "
                                       "tasks started again", labels=["role", "worker", "task"])
        for beat in self.health.beats:
            for task, state in beat.get("tasks", {}).items():
                up.add_metric([beat["role"], beat["worker"], task], int(state == "running"))
            for task, count in beat.get("restarts", {}).items():
                restarts.add_metric([beat["role"], beat["worker"], task], count)
        yield up
        yield restarts
