"""The embedded mode: every worker of the platform as an asyncio task around one SQLite log.

Start-up folds the log into the owners' state and the projections; then each owner consumes
its command stream, decides, and commits its outputs together with its position. The same
decide and evolve functions run in the scaled mode, bound to Kafka and Redis instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID, uuid5

from consumers.ledger.handlers import credits_for
from consumers.ledger.owner import LedgerOwner, StockOwner
from consumers.live.flow import LiveFlow
from consumers.notifications.inbox import Inboxes
from dispatcher.owner import DispatchOwner
from gateway.ports import Unavailable
from runtime.settings import Settings
from runtime.sqlite_log import LogUnavailable, Record, SQLiteLog
from schemas.base import Command, CommandOutcome, DeadLetter, Event, LogMessage, Rejection
from schemas.decision import Decision
from schemas.records import Records
from schemas.topics import (
    BY_NAME,
    COMMAND_OUTCOMES,
    DEAD_LETTERS,
    DISPATCH_EVENTS,
    LEDGER_EVENTS,
    STOCK_EVENTS,
    Topic,
    decode,
)

log = logging.getLogger("vdispatch.embedded")

Clock = Callable[[], datetime]
EVENT_TOPICS = (DISPATCH_EVENTS, LEDGER_EVENTS, STOCK_EVENTS)
CREDITS_CONSUMER = "credits"


def utcnow() -> datetime:
    return datetime.now(UTC)


class OwnerState(Protocol):
    def collections(self) -> dict[str, Records[Any]]: ...

    def restore(self, rows: dict[str, dict[str, Any]]) -> None: ...


class Owner(Protocol):
    name: str
    command_topic: Topic
    event_topic: Topic

    def state_of(self, key: str) -> OwnerState:
        """The state holding the aggregate with this partition key."""

    def decide(self, command: Command, now: datetime) -> Decision: ...

    def evolve(self, event: Event) -> None: ...

    def timers(self, now: datetime) -> list[Command]: ...


def outputs_of(decision: Decision) -> list[LogMessage]:
    out: list[LogMessage] = [*decision.events, *decision.commands]
    if decision.outcome is not None:
        out.append(decision.outcome)
    return out


def message_of(record: Record) -> Any:
    """The record's message: the very object appended, while the log still holds it, or
    decoded and validated from the stored body."""
    if record.message is not None:
        return record.message
    return decode(BY_NAME[record.topic], record.body)


def dead_letter(consumer: str, record: Record, reason: str, now: datetime) -> DeadLetter:
    return DeadLetter(
        letter_id=uuid5(UUID(int=0), f"{consumer}:{record.topic}:{record.message_id}"),
        occurred_at=now, consumer=consumer, topic=record.topic,
        failed_message_id=record.message_id, message_type=record.type, reason=reason[-4000:],
        body=bytes(record.body).decode(errors="replace")[:20000],
    )


class EmbeddedPlatform:
    def __init__(self, settings: Settings, clock: Clock = utcnow) -> None:
        self.settings = settings
        self.clock = clock
        self.log = SQLiteLog(settings.data_dir / "log.sqlite3", settings.sqlite_synchronous)
        self.dispatcher = DispatchOwner(settings.dispatch_policy())
        self.ledger = LedgerOwner(settings.points_policy())
        self.stock = StockOwner()
        self.owners: tuple[Owner, ...] = (self.dispatcher, self.ledger, self.stock)
        self.live = LiveFlow(settings.live_recent_max)
        self.inboxes = Inboxes(settings.notifications_max)
        self.projected = 0
        self._waiters: dict[UUID, list[asyncio.Future[CommandOutcome]]] = {}
        self._sent: dict[UUID, asyncio.Future[CommandOutcome]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.live_changed = asyncio.Event()

    # -- start-up and shut-down ----------------------------------------------------------

    def recover(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Fold the whole log into fresh owners and projections; return the events folded."""
        self.dispatcher = DispatchOwner(self.settings.dispatch_policy())
        self.ledger = LedgerOwner(self.settings.points_policy())
        self.stock = StockOwner()
        self.owners = (self.dispatcher, self.ledger, self.stock)
        self.live = LiveFlow(self.settings.live_recent_max)
        self.inboxes = Inboxes(self.settings.notifications_max)
        head = self.log.head()
        folded = 0
        topics = [t.name for t in (*EVENT_TOPICS, DEAD_LETTERS)]
        for record in self.log.scan(topics):
            self._project(record, owners=True)
            folded += 1
            if progress is not None and folded % 10_000 == 0:
                progress(record.position, head)
        self.projected = max(self.projected, head)
        return folded

    def _rebuild(self, owner: Owner) -> None:
        """Throw away an owner's state and fold its events again (after a failed batch)."""
        fresh: Owner
        if owner is self.dispatcher:
            fresh = self.dispatcher = DispatchOwner(self.settings.dispatch_policy())
        elif owner is self.ledger:
            fresh = self.ledger = LedgerOwner(self.settings.points_policy())
        else:
            fresh = self.stock = StockOwner()
        for record in self.log.scan([fresh.event_topic.name]):
            fresh.evolve(decode(fresh.event_topic, record.body))
        self.owners = (self.dispatcher, self.ledger, self.stock)

    async def start(self) -> None:
        self.recover()
        for name in ("dispatcher", "ledger", "stock"):
            self._tasks.append(asyncio.create_task(self._owner_loop(name), name=name))
        self._tasks.append(asyncio.create_task(self._credit_loop(), name="credits"))
        self._tasks.append(asyncio.create_task(self._projection_loop(), name="projections"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.log.drain()
        self.log.close()

    def _owner(self, name: str) -> Owner:
        owners: dict[str, Owner] = {
            "dispatcher": self.dispatcher, "ledger": self.ledger, "stock": self.stock,
        }
        return owners[name]

    # -- the owners' loop ----------------------------------------------------------------

    async def _owner_loop(self, name: str) -> None:
        """Consume the owner's commands in batches; commit outputs and position atomically."""
        batch = self.settings.worker_slice_max
        while True:
            owner = self._owner(name)
            watch = self.log.watch([owner.command_topic.name])
            position = self.log.position(name)
            records = self.log.read([owner.command_topic.name], position, batch)
            if not records:
                due = owner.timers(self.clock())
                if due:
                    await self._append_or_rebuild(owner, due)
                    continue
                await self.log.appended(watch, self.settings.timer_tick_s)
                continue
            try:
                outputs = [m for r in records for m in self._decide(owner, r)]
                # The owner's state has moved on in memory: until this commit is durable a
                # view may show it, but no outcome is answered and no event is projected.
                await self.log.commit_async(name, records[-1].position, outputs)
            except LogUnavailable:
                log.exception("the log refused a commit; retrying")
                self._rebuild(owner)
                await asyncio.sleep(1.0)
                continue
            except Exception:
                log.exception("a batch of %s failed; retrying one by one", name)
                self._rebuild(owner)
                await self._one_by_one(name, records)
                continue
            self._delivered(outputs)
            await asyncio.sleep(0)

    def _decide(self, owner: Owner, record: Record) -> list[LogMessage]:
        command = message_of(record)
        return outputs_of(owner.decide(command, self.clock()))

    async def _one_by_one(self, name: str, records: Sequence[Record]) -> None:
        """Retry each command a bounded number of times, then dead-letter it with the reason."""
        for record in records:
            for attempt in range(1, self.settings.worker_retries_max + 1):
                owner = self._owner(name)
                try:
                    outputs = self._decide(owner, record)
                    await self.log.commit_async(name, record.position, outputs)
                    break
                except Exception:
                    reason = traceback.format_exc()
                    log.exception("%s failed on %s (attempt %d)", name, record.message_id, attempt)
                    self._rebuild(owner)
                    await asyncio.sleep(0.05 * attempt)
            else:
                outputs = self._dead(name, record, reason)
                await self.log.commit_async(name, record.position, outputs)
            self._delivered(outputs)

    def _dead(self, consumer: str, record: Record, reason: str) -> list[LogMessage]:
        now = self.clock()
        letter = dead_letter(consumer, record, reason, now)
        out: list[LogMessage] = [letter]
        with contextlib.suppress(ValueError):
            command_id = UUID(record.message_id)
            command = message_of(record)
            out.append(CommandOutcome(
                command_id=command_id, occurred_at=now, actor=command.actor,
                fingerprint=command.fingerprint,
                rejection=Rejection(kind="conflict", code="internal_error",
                                    message="the platform could not process this command; "
                                    "it was set aside for the office to look at",
                                    details={"dead_letter": str(letter.letter_id)}),
            ))
        return out

    async def _append_or_rebuild(self, owner: Owner, commands: list[Command]) -> None:
        try:
            await self.log.append_async(commands)
        except LogUnavailable:
            log.exception("could not append timer commands; rebuilding %s", owner.name)
            self._rebuild(owner)
            await asyncio.sleep(1.0)

    # -- credits: confirmed services become ledger commands ------------------------------

    async def _credit_loop(self) -> None:
        while True:
            watch = self.log.watch([DISPATCH_EVENTS.name])
            position = self.log.position(CREDITS_CONSUMER)
            records = self.log.read([DISPATCH_EVENTS.name], position,
                                    self.settings.batch_size_max)
            if not records:
                await self.log.appended(watch, 5.0)
                continue
            outputs: list[LogMessage] = []
            for record in records:
                outputs.extend(credits_for(message_of(record)))
            try:
                await self.log.commit_async(CREDITS_CONSUMER, records[-1].position, outputs)
            except LogUnavailable:
                log.exception("the log refused the credits; retrying")
                await asyncio.sleep(1.0)

    # -- projections: live flow and notifications -----------------------------------------

    async def _projection_loop(self) -> None:
        topics = [t.name for t in (*EVENT_TOPICS, DEAD_LETTERS)]
        while True:
            watch = self.log.watch(topics)
            records = self.log.read(topics, self.projected, self.settings.batch_size_max)
            if not records:
                await self.log.appended(watch, 5.0)
                continue
            for n, record in enumerate(records, start=1):
                self._project(record, owners=False)
                if n % self.settings.worker_slice_max == 0:
                    await asyncio.sleep(0)
            self.projected = records[-1].position
            self.live_changed.set()
            self.live_changed = asyncio.Event()

    def _project(self, record: Record, owners: bool) -> None:
        """Fold one stored event into the projections, and at start-up into its owner too
        (while running, owners apply their events as they decide them)."""
        topic = BY_NAME[record.topic]
        message = message_of(record)
        if topic is DEAD_LETTERS:
            self.live.note_dead_letter()
            return
        self.live.evolve(message, record.position)
        self.inboxes.evolve(message)
        if owners:
            owner = self._owner({DISPATCH_EVENTS.name: "dispatcher", LEDGER_EVENTS.name: "ledger",
                                 STOCK_EVENTS.name: "stock"}[topic.name])
            owner.evolve(message)

    # -- answers to waiting gateways -------------------------------------------------------

    def _delivered(self, outputs: Iterable[LogMessage]) -> None:
        for message in outputs:
            if isinstance(message, CommandOutcome):
                self._sent.pop(message.command_id, None)
                for future in self._waiters.pop(message.command_id, []):
                    if not future.done():
                        future.set_result(message)

    async def outcome(self, command_id: UUID, wait_s: float) -> CommandOutcome | None:
        future = self._sent.pop(command_id, None)
        if future is None:
            record = self.log.find(COMMAND_OUTCOMES.name, str(command_id))
            if record is not None:
                found: CommandOutcome = decode(COMMAND_OUTCOMES, record.body)
                return found
            if wait_s <= 0:
                return None
            future = self._wait_for(command_id)
        try:
            return await asyncio.wait_for(future, wait_s)
        except TimeoutError:
            return None
        finally:
            self._forget(command_id, future)

    def _wait_for(self, command_id: UUID) -> asyncio.Future[CommandOutcome]:
        future: asyncio.Future[CommandOutcome] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(command_id, []).append(future)
        return future

    def _forget(self, command_id: UUID, future: asyncio.Future[CommandOutcome]) -> None:
        waiting = self._waiters.get(command_id, [])
        if future in waiting:
            waiting.remove(future)
        if not waiting:
            self._waiters.pop(command_id, None)

    async def send(self, command: Command) -> None:
        """Append the command, already waiting for its outcome.

        The waiter is in place before the append, so the outcome cannot slip past it and
        `outcome` need not look in the log. A command that was in the log before (a retry
        racing its first attempt) may have its outcome there already: that one looks.
        """
        command_id = command.command_id
        future = self._wait_for(command_id)
        try:
            [added] = await self.log.append_async([command])
        except BaseException as e:
            self._forget(command_id, future)
            if isinstance(e, LogUnavailable):
                raise Unavailable(str(e)) from e
            raise
        if added:
            self._sent[command_id] = future
        else:
            self._forget(command_id, future)
