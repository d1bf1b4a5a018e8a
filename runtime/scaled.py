"""The scaled mode's workers, apart from their transport: each takes a decoded message and a
`send` for what it produces. The faust agents in `runtime.faust_app` only feed them.

An owner keeps the state of the aggregates it owns in memory, loaded from Redis on first use.
For every command it checks the applied marker (a redelivered command re-sends what it
produced the first time and changes nothing), decides with the same handlers as the embedded
mode, writes the changed rows with the marker in one MULTI, then sends events and commands
to Kafka and announces the outcome to the gateways.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from aiokafka.errors import KafkaError
from redis.exceptions import RedisError

from consumers.ledger.handlers import credits_for
from consumers.live.flow import LiveFlow
from consumers.notifications.inbox import Inboxes
from runtime.embedded import Clock, Owner, outputs_of
from runtime.redis_state import RedisStore
from schemas.base import Command, CommandOutcome, DeadLetter, Event, LogMessage, Rejection

log = logging.getLogger("vdispatch.scaled")

Send = Callable[[Sequence[LogMessage]], Awaitable[None]]
INFRA_ERRORS = (RedisError, KafkaError, OSError, TimeoutError)
BACKOFF_MAX_S = 5.0


@dataclass(frozen=True)
class Undecodable:
    """A message that did not validate against its topic's schema."""

    topic: str
    body: bytes
    reason: str


def dead_letter_for(consumer: str, topic: str, message_id: str, message_type: str,
                    body: bytes, reason: str, now: datetime) -> DeadLetter:
    return DeadLetter(
        letter_id=uuid5(UUID(int=0), f"{consumer}:{topic}:{message_id}:{body[:200]!r}"),
        occurred_at=now, consumer=consumer, topic=topic, failed_message_id=message_id,
        message_type=message_type, reason=reason[-4000:],
        body=body.decode(errors="replace")[:20000],
    )


class OwnerHost:
    def __init__(self, name: str, make_owner: Callable[[], Owner], family: str,
                 store: RedisStore | None, send: Send, clock: Clock,
                 retries_max: int = 3) -> None:
        self.name = name
        self.make_owner = make_owner
        self.family = family
        self.store = store
        self.send = send
        self.clock = clock
        self.retries_max = retries_max
        self.owner = make_owner()
        self.loaded: set[str] = set()

    @property
    def redis(self) -> RedisStore:
        if self.store is None:
            raise RuntimeError(f"{self.name} has no state store yet")
        return self.store

    def reset(self) -> None:
        """Forget every aggregate: after a rebalance or a failed write, reload from Redis."""
        self.owner = self.make_owner()
        self.loaded.clear()

    async def ensure(self, key: str) -> None:
        if key in self.loaded:
            return
        tag = self.redis.keys.tag(self.family, key)
        state = self.owner.state_of(key)
        rows = await self.redis.load(tag, state.collections())
        state.restore(rows)
        self.loaded.add(key)

    async def handle(self, message: Command | Undecodable) -> None:
        """Apply one command exactly once; never return before it is applied or set aside."""
        backoff_s = 0.1
        while True:
            try:
                await self._handle(message)
                return
            except INFRA_ERRORS as e:
                log.warning("%s: %r; retrying in %.1fs", self.name, e, backoff_s)
                self.reset()
                await asyncio.sleep(backoff_s)
                backoff_s = min(BACKOFF_MAX_S, backoff_s * 2)

    async def _handle(self, message: Command | Undecodable) -> None:
        if isinstance(message, Undecodable):
            await self.send([dead_letter_for(self.name, message.topic, "?", "?", message.body,
                                             message.reason, self.clock())])
            return
        key = message.partition_key
        tag = self.redis.keys.tag(self.family, key)
        stored = await self.redis.applied(tag, message.command_id)
        if stored is not None:
            await self._deliver(stored)
            return
        await self.ensure(key)
        outputs = await self._decide(message)
        changes = {name: records.drain_changes()
                   for name, records in self.owner.state_of(key).collections().items()}
        if self.family != "volunteer":
            await self.redis.register(self.family, key)
        await self.redis.commit(tag, changes, message.command_id, outputs)
        await self._deliver(outputs)

    async def _decide(self, command: Command) -> list[LogMessage]:
        """The owner's decision; a handler that keeps failing is dead-lettered, not retried
        forever, and the client is told."""
        reason = ""
        for attempt in range(1, self.retries_max + 1):
            try:
                return outputs_of(self.owner.decide(command, self.clock()))
            except Exception:
                reason = traceback.format_exc()
                log.exception("%s failed on %s (attempt %d)", self.name, command.command_id,
                              attempt)
                self.reset()
                await self.ensure(command.partition_key)
        now = self.clock()
        letter = dead_letter_for(self.name, type(command).__name__, str(command.command_id),
                                 type(command).__name__, command.model_dump_json().encode(),
                                 reason, now)
        return [letter, CommandOutcome(
            command_id=command.command_id, occurred_at=now,
            rejection=Rejection(kind="conflict", code="internal_error",
                                message="the platform could not process this command; it was "
                                "set aside for the office to look at",
                                details={"dead_letter": str(letter.letter_id)}),
        )]

    async def _deliver(self, outputs: Sequence[LogMessage]) -> None:
        await self.send(outputs)
        outcomes = [m for m in outputs if isinstance(m, CommandOutcome)]
        if outcomes:
            await self.redis.announce(outcomes)

    async def fire_timers(self) -> None:
        """Deadlines of the loaded aggregates become commands to this very owner."""
        due = self.owner.timers(self.clock())
        if due:
            await self.send(due)


async def route_credits(event: Event | Undecodable, send: Send) -> None:
    """Confirmed services become one credit command per volunteer, keyed by volunteer."""
    if isinstance(event, Event):
        credits = credits_for(event)
        if credits:
            await send(credits)


class LiveProjector:
    """Folds every event into the live board and inboxes; saves them to Redis, coalesced."""

    def __init__(self, store: RedisStore, clock: Clock, recent_max: int,
                 notifications_max: int) -> None:
        self.store = store
        self.clock = clock
        self.flow = LiveFlow(recent_max)
        self.inboxes = Inboxes(notifications_max, keep_fresh=True)
        self.notifications_max = notifications_max
        self.saved_at_events = -1

    def fold(self, message: Any) -> None:
        if isinstance(message, DeadLetter):
            self.flow.note_dead_letter()
            self.flow.events += 1
        elif isinstance(message, Event):
            self.flow.evolve(message, self.flow.events + 1)
            self.inboxes.evolve(message)

    async def save(self, force: bool = False) -> None:
        """Write the snapshot when it changed (or when `force`, for time-based fields)."""
        notes = self.inboxes.drain_fresh()
        if notes:
            await self.store.notify(notes, self.notifications_max)
        if force or self.flow.events != self.saved_at_events:
            await self.store.save_live(self.flow.snapshot(self.clock()))
            self.saved_at_events = self.flow.events
