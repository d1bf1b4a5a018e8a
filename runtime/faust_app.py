"""faust-streaming workers of the scaled mode: decode, hand to the worker, acknowledge.

One codec wraps the pydantic models of every topic. A message that does not validate is
handed on as `Undecodable` and dead-lettered instead of stopping the agent. Topics are
created by `scripts/topics`, never declared by the workers.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import faust
from aiokafka.partitioner import murmur2
from faust.serializers import codecs
from pydantic import ValidationError
from redis.asyncio import Redis

from consumers.ledger.owner import LedgerOwner, StockOwner
from dispatcher.owner import DispatchOwner
from runtime.embedded import Owner, utcnow
from runtime.redis_state import RedisStore
from runtime.scaled import LiveProjector, OwnerHost, Undecodable, route_credits
from runtime.settings import Settings
from schemas.base import LogMessage
from schemas.topics import (
    CATALOGUE,
    DEAD_LETTERS,
    DISPATCH_COMMANDS,
    DISPATCH_EVENTS,
    LEDGER_COMMANDS,
    LEDGER_EVENTS,
    STOCK_COMMANDS,
    STOCK_EVENTS,
    Topic,
    encode,
    topic_of,
)

log = logging.getLogger("vdispatch.workers")
ROLES = ("dispatcher", "ledger", "live")
# An agent takes what has arrived, up to BATCH_MAX messages, waiting at most BATCH_WAIT_S
# for more: the Redis and Kafka round trips are paid per batch, not per message, and a
# message waits at most this long under light load. Offsets are acknowledged only after
# the whole batch is applied and its outputs acknowledged by the broker.
BATCH_MAX = 500
BATCH_WAIT_S = 0.005


class PydanticCodec(faust.Codec):  # type: ignore[misc]  # faust is untyped here
    """Values of one topic: its pydantic models in, JSON bytes out."""

    def __init__(self, topic: str, **kwargs: Any) -> None:
        super().__init__(topic=topic, **kwargs)

    def _loads(self, s: bytes) -> Any:
        topic = self.kwargs["topic"]
        try:
            return next(t for t in CATALOGUE if t.name == topic).adapter.validate_json(s)
        except ValidationError as e:
            return Undecodable(topic, s, str(e))

    def _dumps(self, s: Any) -> bytes:
        return encode(s)


for _topic in CATALOGUE:
    codecs.register(f"vd-{_topic.name}", PydanticCodec(topic=_topic.name))


class Workers:
    """A faust app for one worker role, its topics, and what the agents call."""

    def __init__(self, settings: Settings, role: str) -> None:
        if role not in ROLES:
            raise ValueError(f"unknown worker {role!r}; one of {', '.join(ROLES)}")
        self.settings = settings
        self.role = role
        group = settings.group_id(role)
        if role == "live":
            group += f"-{uuid.uuid4().hex[:8]}"
        self.app = faust.App(
            group,
            broker=f"kafka://{settings.kafka_bootstrap}",
            store="memory://",
            autodiscover=False,
            web_enabled=False,
            topic_allow_declare=False,
            topic_disable_leader=True,
            producer_acks=-1,
            consumer_auto_offset_reset="earliest",
            processing_guarantee="at_least_once",
            broker_commit_interval=1.0,
            broker_session_timeout=settings.kafka_session_timeout_s,
            broker_heartbeat_interval=settings.kafka_session_timeout_s / 5,
            stream_wait_empty=False,
        )
        self.topics = {t.name: self.app.topic(
            settings.topic_name(t.name), key_serializer="raw", value_serializer=f"vd-{t.name}",
            partitions=t.partitions, internal=False,
        ) for t in CATALOGUE}
        self.topic_names = {t.name: settings.topic_name(t.name) for t in CATALOGUE}
        self.store: RedisStore | None = None
        self._connected = asyncio.Event()
        getattr(self, f"_bind_{role}")()
        self.app.task(self._open_store)

    async def _open_store(self) -> None:
        redis = Redis.from_url(self.settings.redis_url)
        await redis.ping()
        self.store = RedisStore(redis, self.settings.namespace, self.settings.marker_ttl_s)
        self._connected.set()
        log.info("%s worker connected to Redis", self.role)

    async def _ready_store(self) -> RedisStore:
        await self._connected.wait()
        assert self.store is not None
        return self.store

    async def send(self, messages: Sequence[LogMessage]) -> None:
        """Produce every message without waiting (the producer batches them), then wait for
        the broker's acknowledgement of all of them.

        Bytes go straight to the app's producer: faust's per-message `Topic.send` path
        (channel, codec, future wrappers) cost more than the rest of a batch put together.
        The partition is the producer's default for the key, as with `Topic.send`.
        """
        if not messages:
            return
        producer = await self.app.maybe_start_producer()
        deliveries = [await producer.send(self.topic_names[topic_of(m).name],
                                          m.partition_key.encode(), encode(m), None, None, None)
                      for m in messages]
        await asyncio.gather(*deliveries)

    def _host(self, name: str, owner: Callable[[], Owner], family: str) -> OwnerHost:
        """The store is attached once the worker has connected to Redis."""
        return OwnerHost(name, owner, family, store=None, send=self.send, clock=utcnow,
                         retries_max=self.settings.worker_retries_max)

    def _agent(self, topic: Topic, name: str, host: OwnerHost) -> None:
        async def consume(stream: Any) -> None:
            host.store = await self._ready_store()
            async for batch in stream.take(BATCH_MAX, within=BATCH_WAIT_S):
                await host.handle(batch)

        consume.__name__ = name
        self.app.agent(self.topics[topic.name], name=name)(consume)

    # -- the three roles ---------------------------------------------------------------

    def _bind_dispatcher(self) -> None:
        policy = self.settings.dispatch_policy()
        host = self._host("dispatcher", lambda: DispatchOwner(policy), "county")
        self._agent(DISPATCH_COMMANDS, "decide_dispatch", host)
        partitions = DISPATCH_COMMANDS.partitions

        async def fire_deadlines() -> None:
            if host.store is not None:
                await host.fire_timers()

        self.app.timer(interval=self.settings.timer_tick_s)(fire_deadlines)

        async def on_assigned(app: Any, assigned: Any, **kwargs: Any) -> None:
            """Own counties are loaded at once, so their deadlines fire without a command."""
            store = await self._ready_store()
            host.store = store
            host.reset()
            name = self.settings.topic_name(DISPATCH_COMMANDS.name)
            mine = {tp.partition for tp in assigned if tp.topic == name}
            for county in await store.registered("county"):
                if (murmur2(county.encode()) & 0x7FFFFFFF) % partitions in mine:
                    await host.ensure(county)
            log.info("dispatcher owns partitions %s", sorted(mine))

        self.app.on_partitions_assigned.connect(on_assigned)

    def _bind_ledger(self) -> None:
        points = self.settings.points_policy()
        ledger = self._host("ledger", lambda: LedgerOwner(points), "volunteer")
        stock = self._host("stock", StockOwner, "item")
        self._agent(LEDGER_COMMANDS, "decide_ledger", ledger)
        self._agent(STOCK_COMMANDS, "decide_stock", stock)

        async def reset(app: Any, assigned: Any, **kwargs: Any) -> None:
            ledger.reset()
            stock.reset()

        self.app.on_partitions_assigned.connect(reset)

        async def credits(stream: Any) -> None:
            async for events in stream.take(BATCH_MAX, within=BATCH_WAIT_S):
                await route_credits(events, self.send)

        self.app.agent(self.topics[DISPATCH_EVENTS.name], name="route_credits")(credits)

    def _bind_live(self) -> None:
        projector: LiveProjector | None = None

        async def ready() -> LiveProjector:
            nonlocal projector
            store = await self._ready_store()
            if projector is None:
                projector = LiveProjector(store, utcnow, self.settings.live_recent_max,
                                          self.settings.notifications_max)
            return projector

        for topic in (DISPATCH_EVENTS, LEDGER_EVENTS, STOCK_EVENTS, DEAD_LETTERS):
            async def fold(stream: AsyncIterator[Any]) -> None:
                live = await ready()
                async for message in stream:
                    live.fold(message)

            fold.__name__ = f"fold_{topic.name.replace('-', '_')}"
            self.app.agent(self.topics[topic.name], name=fold.__name__)(fold)

        ticks = 0

        async def save_live() -> None:
            nonlocal ticks
            ticks += 1
            live = await ready()
            await live.save(force=ticks % max(1, round(1 / self.settings.live_coalesce_s)) == 0)

        self.app.timer(interval=self.settings.live_coalesce_s)(save_live)

    def run(self) -> None:
        worker = faust.Worker(self.app, loglevel="INFO", quiet=True, redirect_stdouts=False)
        worker.execute_from_commandline()
