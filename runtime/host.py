"""The one host of every owner (DESIGN §8), the same in both run modes.

`Host.apply` takes a batch of commands and applies each exactly once:
1. drop those already applied (their markers in the store hold what they produced: that is
   delivered again, nothing is decided again);
2. load the aggregates they touch that are not in memory, in one round trip;
3. decide each command with the owner's pure rules;
4. write each aggregate's changed rows with the markers of its commands, atomically;
5. deliver the outputs (events, follow-up commands, answers), acknowledging the batch.
A crash anywhere in between is safe: before 4 nothing happened; between 4 and 5 the markers
make a redelivered command deliver what it produced the first time.

Two kinds of failure are never confused. The store, the log or the broker being unavailable
(`Unavailable`, or anything else raised outside the rules) is waited out: the aggregates the
batch touched are dropped from memory, the host backs off (each wait bounded, the number of
tries not) and the whole batch is tried again; it is on the health board meanwhile and no
valid command is ever dead-lettered. A rule that raises sends the batch back to be taken one
command at a time; the failing command is retried a bounded number of times, each time on
its aggregate freshly loaded, then dead-lettered with the reason and answered
`internal_error`; the others go on.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from uuid import UUID, uuid5

from runtime.health import Backoff, HealthBoard
from runtime.ports import Bus, Incoming, Owner, Step, Store, Undecodable
from schemas.base import Command, CommandOutcome, DeadLetter, LogMessage, Rejection
from schemas.decision import Decision

log = logging.getLogger("vdispatch.host")

Clock = Callable[[], datetime]


class HandlerFailed(Exception):
    """A rule raised inside a batch: take the batch again one command at a time."""


def outputs_of(decision: Decision) -> list[LogMessage]:
    out: list[LogMessage] = [*decision.events, *decision.commands]
    if decision.outcome is not None:
        out.append(decision.outcome)
    return out


def dead_letter(consumer: str, topic: str, message_id: str, message_type: str, body: bytes,
                reason: str, now: datetime) -> DeadLetter:
    """The record of a message set aside; its id is the same however often it is made."""
    return DeadLetter(
        letter_id=uuid5(UUID(int=0), f"{consumer}:{topic}:{message_id}:{body[:200]!r}"),
        occurred_at=now, consumer=consumer, topic=topic, failed_message_id=message_id,
        message_type=message_type, reason=reason[-4000:],
        body=body.decode(errors="replace")[:20000],
    )


def set_aside(consumer: str, command: Command, reason: str, now: datetime
              ) -> list[LogMessage]:
    """A command the rules could not handle: its dead letter and the answer to its caller."""
    letter = dead_letter(consumer, command.partition_key, str(command.command_id),
                         type(command).__name__, command.model_dump_json().encode(), reason,
                         now)
    return [letter, CommandOutcome(
        command_id=command.command_id, occurred_at=now, actor=command.actor,
        fingerprint=command.fingerprint,
        rejection=Rejection(kind="conflict", code="internal_error",
                            message="the platform could not process this command; it was set "
                            "aside for the office to look at",
                            details={"dead_letter": str(letter.letter_id)}),
    )]


class Host:
    """Runs one owner on a store and a bus; see the module's docstring for the algorithm."""

    def __init__(self, owner: Owner, store: Store, bus: Bus, clock: Clock, board: HealthBoard,
                 retries_max: int = 3, backoff: Backoff | None = None) -> None:
        self.owner = owner
        self.store = store
        self.bus = bus
        self.clock = clock
        self.board = board
        self.retries_max = retries_max
        self.backoff = backoff or Backoff()
        self.loaded: set[str] = set()
        self.registered: set[str] = set()

    @property
    def name(self) -> str:
        return self.owner.name

    # -- memory ------------------------------------------------------------------------

    def adopt(self, keys: Iterable[str]) -> None:
        """Aggregates already in the owner's memory and in the store (after a replay)."""
        keys = list(keys)
        self.loaded.update(keys)
        if self.owner.family.listed:
            self.registered.update(keys)

    def forget(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.owner.forget(key)
            self.loaded.discard(key)

    def reset(self) -> None:
        """Forget every aggregate (another worker may own them now)."""
        self.forget(list(self.owner.held()))
        self.registered.clear()

    async def ensure(self, keys: Sequence[str]) -> None:
        """Load the aggregates not in memory, in one round trip."""
        missing = sorted({k for k in keys if k not in self.loaded})
        if not missing:
            return
        family = self.owner.family
        names = list(self.owner.state_of(missing[0]).collections())
        found = await self.store.load([family.tag(k) for k in missing], names)
        for key, rows in zip(missing, found, strict=True):
            self.owner.forget(key)
            self.owner.state_of(key).restore(rows)
            self.loaded.add(key)

    # -- applying ----------------------------------------------------------------------

    async def apply(self, batch: Sequence[Incoming]) -> None:
        """Apply every command of the batch exactly once; return only when each is applied
        or set aside, and the batch acknowledged."""
        if not batch:
            return
        self.backoff.reset()
        while True:
            touched: set[str] = set()
            try:
                await self._apply(batch, touched)
            except HandlerFailed:
                self.forget(touched)
                for one in batch:
                    await self.apply([one])
                return
            except Exception as e:
                self.forget(touched)
                reason = f"{type(e).__name__}: {e}"
                self.board.trouble(f"owner:{self.name}", reason)
                log.warning("%s could not apply a batch (%s); retrying in %.2fs", self.name,
                            reason, self.backoff.next_s)
                await self.backoff.wait()
                continue
            self.board.clear(f"owner:{self.name}")
            return

    async def _apply(self, batch: Sequence[Incoming], touched: set[str]) -> None:
        family = self.owner.family
        commands = [i.message for i in batch if isinstance(i.message, Command)]
        stored = await self.store.applied([(family.tag(c.partition_key), c.command_id)
                                           for c in commands])
        earlier: dict[UUID, list[LogMessage]] = {
            c.command_id: found for c, found in zip(commands, stored, strict=True)
            if found is not None}
        await self.ensure([c.partition_key for c in commands if c.command_id not in earlier])
        steps: dict[str, Step] = {}
        outputs: list[LogMessage] = []
        for item in batch:
            message = item.message
            if isinstance(message, Undecodable):
                outputs.append(dead_letter(self.name, message.topic, message.message_id, "?",
                                           message.body, message.reason, self.clock()))
                continue
            done = earlier.get(message.command_id)
            if done is not None:
                outputs += done
                continue
            key = message.partition_key
            touched.add(key)
            decided = await self._decide(message, alone=len(batch) == 1)
            earlier[message.command_id] = decided
            step = steps.setdefault(key, Step(family.tag(key)))
            step.take(self.owner.state_of(key))
            step.markers[message.command_id] = decided
            outputs += decided
        fresh = [(family.name, key) for key in steps
                 if family.listed and key not in self.registered]
        if steps:
            await self.store.commit(list(steps.values()), fresh)
        self.registered.update(key for _, key in fresh)
        positions = [i.position for i in batch if i.position is not None]
        await self.bus.deliver(outputs, max(positions) if positions else None)

    async def _decide(self, command: Command, alone: bool) -> list[LogMessage]:
        """The owner's decision. In a batch, a rule that raises sends the batch back to be
        taken one command at a time (the retry reloads the aggregate, which would drop the
        batch's unwritten changes); alone, it is retried, then set aside."""
        key = command.partition_key
        reason = ""
        for attempt in range(1, self.retries_max + 1):
            try:
                return outputs_of(self.owner.decide(command, self.clock()))
            except Exception as e:
                if not alone:
                    raise HandlerFailed from e
                reason = traceback.format_exc()
                log.exception("%s failed on %s (attempt %d of %d)", self.name,
                              command.command_id, attempt, self.retries_max)
                self.forget([key])
                await self.ensure([key])
        return set_aside(self.name, command, reason, self.clock())

    async def fire_timers(self) -> None:
        """Deadlines of the aggregates in memory become commands to this very owner."""
        due = self.owner.timers(self.clock())
        if due:
            await self.bus.deliver(due)
