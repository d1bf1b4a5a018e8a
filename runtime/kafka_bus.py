"""The scaled mode's command bus for gateways: commands go to Kafka with an idempotent
producer (acks=all); answers come back through Redis, where each owner leaves the outcome
and publishes it the moment the command is applied."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from uuid import UUID

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from gateway.ports import Unavailable
from runtime.redis_state import RedisStore
from runtime.settings import Settings
from schemas.base import Command, CommandOutcome
from schemas.topics import COMMAND_OUTCOMES, encode, topic_of

log = logging.getLogger("vdispatch.kafka_bus")


class KafkaCommandBus:
    def __init__(self, settings: Settings, store: RedisStore) -> None:
        self.settings = settings
        self.store = store
        self.producer: AIOKafkaProducer | None = None
        self._waiters: dict[UUID, list[asyncio.Future[CommandOutcome]]] = {}
        self._pubsub: PubSub | None = None
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect; a broker that is down now is retried on each command (503 until then)."""
        self._pubsub = self.store.redis.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(self.store.keys.outcomes_channel)
        self._listener = asyncio.create_task(self._listen(), name="outcomes")
        with contextlib.suppress(Unavailable):
            await self._connect()

    async def _connect(self) -> AIOKafkaProducer:
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
            await producer.stop()
            raise Unavailable("the message broker is not reachable") from e
        self.producer = producer
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
        assert self._pubsub is not None
        while True:
            try:
                async for message in self._pubsub.listen():
                    outcome: CommandOutcome = COMMAND_OUTCOMES.adapter.validate_json(
                        message["data"])
                    for future in self._waiters.pop(outcome.command_id, []):
                        if not future.done():
                            future.set_result(outcome)
            except RedisError:
                log.exception("lost the outcomes channel; resubscribing")
                await asyncio.sleep(1.0)

    async def send(self, command: Command) -> None:
        producer = await self._connect()
        topic = self.settings.topic_name(topic_of(command).name)
        try:
            delivery = await producer.send(topic, encode(command),
                                           key=command.partition_key.encode())
            await asyncio.wait_for(delivery, self.settings.produce_timeout_s)
        except (KafkaError, TimeoutError) as e:
            raise Unavailable("the message broker did not take the command") from e

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
        except RedisError as e:
            raise Unavailable("the state store is not reachable") from e
        finally:
            waiting = self._waiters.get(command_id, [])
            if future in waiting:
                waiting.remove(future)
            if not waiting:
                self._waiters.pop(command_id, None)
