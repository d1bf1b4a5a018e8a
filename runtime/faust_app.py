"""faust-streaming workers of the scaled mode: decode, hand to the host, acknowledge.

Each owner runs in the same `runtime.host.Host` as in the embedded mode, bound here to
`RedisStore` and to `KafkaBus` (outputs produced with acks=all, answers kept and published in
Redis). An agent is a short loop: take a batch, `host.apply` it (which returns only when
every command is applied or set aside), and faust acknowledges the offsets. One codec wraps
the pydantic models of every topic; a message that does not validate is handed on as
`Undecodable` and dead-lettered instead of stopping the agent. Topics are created by
`scripts/topics`, never declared by the workers. Each worker beats a heartbeat into Redis
(its tasks and what is wrong) that the gateways' `/healthz` and `/metrics` read.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import faust
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import murmur2
from faust.serializers import codecs
from pydantic import ValidationError
from redis.asyncio import Redis

from accounts.owner import AccountsOwner
from activities.owner import ActivitiesOwner
from audit.owner import AuditOwner
from care.owner import CarePlansOwner
from cases.owner import CasesOwner
from certificates.owner import CertificatesOwner
from consumers.follow_ups import follow_ups
from consumers.ledger.owner import LedgerOwner, StockOwner
from dispatcher.owner import DispatchOwner
from flags.owner import FlagsOwner
from households.owner import HouseholdsOwner
from residents.owner import ResidentsOwner
from runtime.embedded import utcnow
from runtime.health import Backoff, HealthBoard, Supervisor
from runtime.host import Host, dead_letter
from runtime.outbox import Outbox, sender_for
from runtime.ports import Incoming, Owner, Unavailable, Undecodable
from runtime.projections import LiveProjector
from runtime.redis_keys import RedisKeys
from runtime.redis_store import RedisStore
from runtime.settings import Settings
from runtime.views import StoreViews
from schemas.base import CommandOutcome, Event, LogMessage
from schemas.topics import (
    ACCOUNT_EVENTS,
    CATALOGUE,
    DEAD_LETTERS,
    DISPATCH_EVENTS,
    LEDGER_EVENTS,
    ON_BOARD,
    Topic,
    encode,
    topic_of,
)
from wishes.owner import WishesOwner

log = logging.getLogger("vdispatch.workers")
ROLES = ("dispatcher", "activities", "ledger", "live")
# An agent takes what has arrived, up to BATCH_MAX messages, waiting at most BATCH_WAIT_S
# for more: the Redis and Kafka round trips are paid per batch, not per message, and a
# message waits at most this long under light load. Offsets are acknowledged only after
# the whole batch is applied and its outputs acknowledged by the broker.
BATCH_MAX = 500
BATCH_WAIT_S = 0.005
HEARTBEAT_S = 2.0


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


class BrokerUnavailable(Unavailable):
    """The broker did not acknowledge what was produced."""


class KafkaBus:
    """The scaled mode's `Bus`: every output produced (the producer batches them) and all
    acknowledged by the broker, then the answers kept and published in Redis. Offsets are
    acknowledged by the agent once `Host.apply` returns, so `upto` has nothing to do here."""

    def __init__(self, produce: Callable[[Sequence[LogMessage]], Any], store: RedisStore
                 ) -> None:
        self.produce = produce
        self.store = store

    async def deliver(self, outputs: Sequence[LogMessage], upto: int | None = None) -> None:
        await self.produce(outputs)
        outcomes = [m for m in outputs if isinstance(m, CommandOutcome)]
        if outcomes:
            await self.store.announce(outcomes)

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
        self.worker_id = f"{socket.gethostname()}-{uuid.uuid4().hex[:6]}"
        group = settings.group_id(role)
        if role == "live":
            group += f"-{uuid.uuid4().hex[:8]}"
        workdir = settings.data_dir / "workers" / group
        workdir.mkdir(parents=True, exist_ok=True)
        self.app = faust.App(
            group,
            broker=f"kafka://{settings.kafka_bootstrap}",
            store="memory://",
            datadir=str(workdir),
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
        self.board = HealthBoard()
        self.supervisor = Supervisor(self.board)
        self.store = RedisStore(Redis.from_url(settings.redis_url), settings.namespace,
                                settings.marker_ttl_s)
        self.bus = KafkaBus(self.send, self.store)
        self._producer: AIOKafkaProducer | None = None
        self._producer_lock = asyncio.Lock()
        self._connected = asyncio.Event()
        getattr(self, f"_bind_{role}")()
        self.app.task(self._start)
        self.app.on_before_shutdown.connect(self.stop_producer)

    async def _start(self) -> None:
        """Wait for Redis as long as it takes; then the agents start and the heartbeat."""
        backoff = Backoff(max_s=5.0)
        while True:
            try:
                await self.store.redis.ping()
                break
            except Exception as e:
                self.board.trouble("redis", f"not reachable: {e!r}")
                await backoff.wait()
        self.board.clear("redis")
        self._connected.set()
        log.info("%s worker connected to Redis", self.role)
        self.supervisor.spawn("heartbeat", self._beat)

    async def _beat(self) -> None:
        while True:
            report = {"role": self.role, "worker": self.worker_id,
                      "tasks": self.supervisor.report(), "problems": self.board.report(),
                      "restarts": dict(self.supervisor.restart_counts)}
            try:
                await self.store.beat(self.role, self.worker_id, report)
            except Unavailable:
                log.warning("could not beat the heartbeat: Redis is not reachable")
            except Exception:
                log.exception("could not beat the heartbeat")
            await asyncio.sleep(HEARTBEAT_S)

    async def _ready_store(self) -> RedisStore:
        await self._connected.wait()
        return self.store

    async def send(self, messages: Sequence[LogMessage]) -> None:
        """Produce every message without waiting (the producer batches them), then wait for
        the broker's acknowledgement of all of them.

        The outputs go through a producer of the worker's own, idempotent with acks=all
        (DESIGN §8: a retried produce after a broker fails over is not written twice);
        faust's producer cannot be made idempotent outside its transactions, and its
        per-message `Topic.send` path (channel, codec, future wrappers) cost more than the
        rest of a batch put together. The partition is the producer's default for the key,
        as with `Topic.send`.
        """
        if not messages:
            return

        async def produce() -> None:
            producer = await self._output_producer()
            deliveries = [await producer.send(self.topic_names[topic_of(m).name], encode(m),
                                              key=m.partition_key.encode())
                          for m in messages]
            await asyncio.gather(*deliveries)

        try:
            await asyncio.wait_for(produce(), self.settings.produce_timeout_s)
        except (KafkaError, TimeoutError, OSError) as e:
            raise BrokerUnavailable(f"the broker did not take the outputs: {e!r}") from e

    async def _output_producer(self) -> AIOKafkaProducer:
        async with self._producer_lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.settings.kafka_bootstrap, acks="all",
                    enable_idempotence=True, linger_ms=1,
                    request_timeout_ms=int(self.settings.produce_timeout_s * 1000),
                    client_id=f"{self.settings.group_id(self.role)}-{self.worker_id}")
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def stop_producer(self, *args: Any, **kwargs: Any) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    def _host(self, owner: Owner) -> Host:
        return Host(owner, self.store, self.bus, utcnow, self.board,
                    self.settings.worker_retries_max)

    def _agent(self, topic: Topic, host: Host) -> None:
        async def consume(stream: Any) -> None:
            await self._ready_store()
            async for batch in stream.take(BATCH_MAX, within=BATCH_WAIT_S):
                await host.apply([Incoming(m) for m in batch])

        name = f"decide_{host.name}"
        consume.__name__ = name
        self.app.agent(self.topics[topic.name], name=name)(consume)

    # -- the three roles ---------------------------------------------------------------

    def _bind_dispatcher(self) -> None:
        self._bind_timed(DispatchOwner(self.settings.dispatch_policy()))

    def _bind_activities(self) -> None:
        self._bind_timed(ActivitiesOwner(self.settings.activity_policy()))

    def _bind_timed(self, owner: Owner) -> None:
        """An owner of a listed family with deadlines (a county's requests, its
        activities): the aggregates of its partitions are loaded as soon as they are
        assigned, so their timers fire without a command, after a restart too."""
        host = self._host(owner)
        family = owner.family
        self._agent(family.command_topic, host)
        partitions = family.command_topic.partitions

        async def fire_deadlines() -> None:
            if not self._connected.is_set():
                return
            try:
                await host.fire_timers()
            except Exception as e:
                self._trouble("timers", e)
                return
            self.board.clear("timers")

        self.app.timer(interval=self.settings.timer_tick_s)(fire_deadlines)

        async def on_assigned(app: Any, assigned: Any, **kwargs: Any) -> None:
            await self._ready_store()
            host.reset()
            name = self.settings.topic_name(family.command_topic.name)
            mine = {tp.partition for tp in assigned if tp.topic == name}
            backoff = Backoff()
            while True:
                try:
                    keys = await host.store.registered(family.name)
                    await host.ensure([k for k in keys
                                       if (murmur2(k.encode()) & 0x7FFFFFFF) % partitions
                                       in mine])
                    break
                except Exception as e:
                    self._trouble("assignment", e)
                    await backoff.wait()
            self.board.clear("assignment")
            log.info("%s owns partitions %s", host.name, sorted(mine))

        self.app.on_partitions_assigned.connect(on_assigned)

    def _bind_ledger(self) -> None:
        """The owners keyed by a person or a thing: points, stock and people's accounts,
        with the outbox that sends what the accounts ask to send."""
        ledger = self._host(LedgerOwner(self.settings.points_policy()))
        stock = self._host(StockOwner())
        accounts = self._host(AccountsOwner(self.settings.account_policy()))
        audit = self._host(AuditOwner())
        residents = self._host(ResidentsOwner())
        flags = self._host(FlagsOwner())
        certificates = self._host(CertificatesOwner())
        households = self._host(HouseholdsOwner())
        hosts = (ledger, stock, accounts, audit, residents, flags, certificates, households)
        for host in hosts:
            self._agent(host.owner.family.command_topic, host)
        # Wishes, cases and care plans ride with this role rather than roles of their own;
        # their owners are bound as the timed owners are, so a lapsed claim is released, a
        # passed case deadline escalates and a care plan's period turns after a restart too.
        self._bind_timed(WishesOwner(self.settings.wish_policy()))
        self._bind_timed(CasesOwner(self.settings.case_policy()))
        self._bind_timed(CarePlansOwner(self.settings.care_policy()))

        async def reset(app: Any, assigned: Any, **kwargs: Any) -> None:
            for host in hosts:
                host.reset()

        async def refuse_new_keys(person: str, key: bytes | None) -> None:
            raise RuntimeError("the outbox only reads keys")

        outbox = Outbox(sender_for(self.settings.outbox_sender,
                                   self.settings.outbox_webhook_url),
                        RedisKeys(self.store.redis, self.settings.namespace, refuse_new_keys),
                        utcnow, self.settings.outbox_retries_max, self.board.registry,
                        self.settings.notice_fresh_s, self.store,
                        self.settings.notifications_max)
        views = StoreViews(self.store)

        self._sender("outbox", ACCOUNT_EVENTS, outbox.deliver, set_aside=True)
        for topic in (DISPATCH_EVENTS, LEDGER_EVENTS):
            # Consumed once per consumer group: one ledger worker texts each notice. The
            # live worker and the credits already set an undecodable flow event aside.
            self._sender("notices", topic, lambda e: outbox.notify(e, views), set_aside=False)

        self.app.on_partitions_assigned.connect(reset)

        async def credits(stream: Any) -> None:
            """Confirmed services become one credit command per volunteer, escalated
            requests and disputed services cases; an event the routing cannot take is
            dead-lettered; the broker's absence is waited out."""
            backoff = Backoff()
            async for events in stream.take(BATCH_MAX, within=BATCH_WAIT_S):
                outputs: list[LogMessage] = []
                for event in events:
                    if isinstance(event, Event):
                        outputs += follow_ups(event)
                    elif isinstance(event, Undecodable):
                        outputs.append(dead_letter("credits", event.topic, "?", "?",
                                                   event.body, event.reason, utcnow()))
                while True:
                    try:
                        await self.send(outputs)
                        break
                    except Unavailable as e:
                        self.board.trouble("credits", str(e))
                        await backoff.wait()
                self.board.clear("credits")
                backoff.reset()

        self.app.agent(self.topics[DISPATCH_EVENTS.name], name="route_credits")(credits)

    def _bind_live(self) -> None:
        projector: LiveProjector | None = None

        async def ready() -> LiveProjector:
            nonlocal projector
            store = await self._ready_store()
            if projector is None:
                s = self.settings
                projector = LiveProjector(store, utcnow, s.live_recent_max,
                                          s.notifications_max, s.live_closed_window_s)
            return projector

        for topic in [*ON_BOARD, DEAD_LETTERS]:
            async def fold(stream: AsyncIterator[Any], topic: Topic = topic) -> None:
                live = await ready()
                async for message in stream:
                    if isinstance(message, Undecodable):
                        await self._set_aside("live", topic, message.body, message.reason)
                        continue
                    try:
                        live.fold(message)
                    except Exception as e:
                        log.exception("the live board could not fold a %s message", topic.name)
                        await self._set_aside("live", topic, encode(message), repr(e))

            fold.__name__ = f"fold_{topic.name.replace('-', '_')}"
            self.app.agent(self.topics[topic.name], name=fold.__name__)(fold)

        ticks = 0

        async def save_live() -> None:
            nonlocal ticks
            ticks += 1
            live = await ready()
            try:
                await live.save(force=ticks % max(1, round(1 / self.settings.live_coalesce_s))
                                == 0)
            except Exception as e:
                self._trouble("live-board", e)
                return
            self.board.clear("live-board")

        self.app.timer(interval=self.settings.live_coalesce_s)(save_live)

    def _sender(self, component: str, topic: Topic, send: Callable[[Any], Awaitable[None]],
                *, set_aside: bool) -> None:
        """An agent handing each message of a topic to the outbox; an unavailable store or
        key store is waited out, on the health board meanwhile."""
        async def deliver(stream: Any) -> None:
            await self._ready_store()
            async for message in stream:
                if isinstance(message, Undecodable):
                    if set_aside:
                        await self._set_aside(component, topic, message.body, message.reason)
                    continue
                backoff = Backoff()
                while True:
                    try:
                        await send(message)
                        break
                    except Unavailable as e:
                        self.board.trouble(component, str(e))
                        await backoff.wait()
                self.board.clear(component)

        name = f"{component}_{topic.name.replace('-', '_')}"
        deliver.__name__ = name
        self.app.agent(self.topics[topic.name], name=name)(deliver)

    def _trouble(self, component: str, error: Exception) -> None:
        """A timer or a rebalance step that failed is on the board (and in the heartbeat);
        it is tried again at its next turn, never left dead."""
        if not isinstance(error, Unavailable):
            log.exception("%s failed", component, exc_info=error)
        self.board.trouble(component, f"{type(error).__name__}: {error}")

    async def _set_aside(self, consumer: str, topic: Topic, body: bytes, reason: str) -> None:
        """A message a projection cannot take becomes a dead letter; the fold goes on."""
        letter = dead_letter(consumer, topic.name, "?", "?", body, reason, utcnow())
        backoff = Backoff()
        while True:
            try:
                await self.send([letter])
                return
            except Unavailable as e:
                self.board.trouble(consumer, str(e))
                await backoff.wait()

    def run(self) -> None:
        worker = faust.Worker(self.app, loglevel="INFO", quiet=True, redirect_stdouts=False)
        worker.execute_from_commandline()
