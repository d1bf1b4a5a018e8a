"""The scaled mode's workers, apart from their transport: each takes a decoded message and a
`send` for what it produces. The faust agents in `runtime.faust_app` only feed them.

An owner keeps the state of the aggregates it owns in memory, loaded from Redis on first use.
For every command it checks the applied marker (a redelivered command re-sends what it
produced the first time and changes nothing), decides with the same handlers as the embedded
mode, writes the changed rows with the marker in one atomic script call, then sends events
and commands to Kafka and announces the outcome to the gateways. Commands come in batches,
so each of these round trips is paid once per batch.
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
from runtime.redis_state import RedisStore, Step
from schemas.base import Command, CommandOutcome, DeadLetter, Event, LogMessage, Rejection

log = logging.getLogger("vdispatch.scaled")

Send = Callable[[Sequence[LogMessage]], Awaitable[None]]
INFRA_ERRORS = (RedisError, KafkaError, OSError, TimeoutError)
BACKOFF_MAX_S = 5.0


class _HandlerFailed(Exception):
    """A handler raised inside a batch: take the batch again one command at a time."""


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
        self.registered: set[str] = set()

    @property
    def redis(self) -> RedisStore:
        if self.store is None:
            raise RuntimeError(f"{self.name} has no state store yet")
        return self.store

    def reset(self) -> None:
        """Forget every aggregate: after a rebalance or a failed write, reload from Redis."""
        self.owner = self.make_owner()
        self.loaded.clear()
        self.registered.clear()

    async def ensure(self, key: str) -> None:
        if key in self.loaded:
            return
        tag = self.redis.keys.tag(self.family, key)
        state = self.owner.state_of(key)
        rows = await self.redis.load(tag, state.collections())
        state.restore(rows)
        self.loaded.add(key)

    async def handle(self, batch: Sequence[Command | Undecodable]) -> None:
        """Apply a batch of commands exactly once each; never return before every one is
        applied or set aside.

        A batch costs a fixed number of round trips whatever its size: one read of the
        applied markers, one load of the aggregates not in memory, one write of every
        aggregate's changed rows with its markers (atomic per aggregate), one produce whose
        acknowledgements are awaited together, one announcement of the outcomes.
        """
        backoff_s = 0.1
        while True:
            try:
                await self._handle(batch)
                return
            except _HandlerFailed:
                self.reset()
                for message in batch:  # isolate the failing command, as a batch of one
                    await self.handle([message])
                return
            except INFRA_ERRORS as e:
                log.warning("%s: %r; retrying in %.1fs", self.name, e, backoff_s)
                self.reset()
                await asyncio.sleep(backoff_s)
                backoff_s = min(BACKOFF_MAX_S, backoff_s * 2)

    async def _handle(self, batch: Sequence[Command | Undecodable]) -> None:
        now = self.clock()
        commands = [m for m in batch if isinstance(m, Command)]
        tags = {c.partition_key: self.redis.keys.tag(self.family, c.partition_key)
                for c in commands}
        stored = await self.redis.applied_many([(tags[c.partition_key], c.command_id)
                                                for c in commands])
        missing = sorted({c.partition_key for c, found in zip(commands, stored, strict=True)
                          if found is None and c.partition_key not in self.loaded})
        await self._load(missing)
        produced: dict[UUID, list[LogMessage]] = {}
        steps: dict[str, Step] = {}
        outputs: list[LogMessage] = []
        stored_of = {c.command_id: found for c, found in zip(commands, stored, strict=True)}
        for message in batch:
            if isinstance(message, Undecodable):
                outputs.append(dead_letter_for(self.name, message.topic, "?", "?",
                                               message.body, message.reason, now))
                continue
            earlier = stored_of[message.command_id]
            if earlier is None:
                earlier = produced.get(message.command_id)
            if earlier is not None:
                outputs += earlier
                continue
            key = message.partition_key
            decided = await self._decide(message, alone=len(batch) == 1)
            produced[message.command_id] = decided
            step = steps.setdefault(key, Step(tags[key]))
            step.add({name: records.drain_changes()
                      for name, records in self.owner.state_of(key).collections().items()})
            step.markers[message.command_id] = decided
            outputs += decided
        fresh = [] if self.family == "volunteer" else [
            (self.family, key) for key in steps if key not in self.registered]
        if steps:
            await self.redis.commit_steps(steps.values(), fresh)
        self.registered.update(key for _, key in fresh)
        await self._deliver(outputs)

    async def _load(self, keys: Sequence[str]) -> None:
        """The aggregates not in memory yet, in one round trip."""
        if not keys:
            return
        collections = list(self.owner.state_of(keys[0]).collections())
        found = await self.redis.load_many([self.redis.keys.tag(self.family, k) for k in keys],
                                           collections)
        for key, rows in zip(keys, found, strict=True):
            self.owner.state_of(key).restore(rows)
            self.loaded.add(key)

    async def _decide(self, command: Command, alone: bool) -> list[LogMessage]:
        """The owner's decision; a handler that keeps failing is dead-lettered, not retried
        forever, and the client is told. In a batch, a failure sends the batch back to be
        taken one command at a time, since a retry reloads every aggregate from Redis and
        would drop the batch's unwritten changes."""
        reason = ""
        for attempt in range(1, self.retries_max + 1):
            try:
                return outputs_of(self.owner.decide(command, self.clock()))
            except Exception as e:
                if not alone:
                    raise _HandlerFailed from e
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
            command_id=command.command_id, occurred_at=now, actor=command.actor,
            fingerprint=command.fingerprint,
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


async def route_credits(events: Sequence[Event | Undecodable], send: Send) -> None:
    """Confirmed services become one credit command per volunteer, keyed by volunteer."""
    credits = [c for e in events if isinstance(e, Event) for c in credits_for(e)]
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
