"""The embedded mode: every owner and projection as a supervised asyncio task of one process,
around one SQLite log and a store in memory.

Start-up folds the log into the owners and the store (`runtime.replay`). Then each owner's
host (`runtime.host`, the same as in the scaled mode) takes its commands from the log in
batches; its `Bus` here is the log itself: outputs are appended together with the owner's
position in one transaction, and answers reach the waiting gateway once that is durable.
What differs from the scaled mode is only this binding: where commands come from, where
outputs go, and that the store is in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from prometheus_client import CollectorRegistry
from pydantic import ValidationError

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
from runtime.health import Backoff, HealthBoard, Supervisor
from runtime.host import Host, dead_letter
from runtime.memory_store import MemoryStore
from runtime.outbox import Outbox, sender_for
from runtime.ports import Incoming, Owner, Unavailable, Undecodable
from runtime.projections import LiveProjector
from runtime.replay import Replay
from runtime.settings import Settings
from runtime.sqlite_keys import SQLiteKeys
from runtime.sqlite_log import Record, SQLiteLog, SQLiteLogReader
from runtime.views import StoreViews
from schemas.base import Command, CommandOutcome, LogMessage
from schemas.topics import (
    ACCOUNT_EVENTS,
    BY_NAME,
    COMMAND_OUTCOMES,
    DEAD_LETTERS,
    DISPATCH_EVENTS,
    LEDGER_EVENTS,
    ON_BOARD,
    decode,
)
from wishes.owner import WishesOwner

log = logging.getLogger("vdispatch.embedded")

Clock = Callable[[], datetime]
CREDITS = "credits"
OUTBOX = "outbox"
NOTICES = "notices"
LIVE = "live"
PROJECTED_TOPICS = [t.name for t in ON_BOARD] + [DEAD_LETTERS.name]


def utcnow() -> datetime:
    return datetime.now(UTC)


def owners_of(settings: Settings) -> list[Owner]:
    """Every owner the platform runs, fresh."""
    return [DispatchOwner(settings.dispatch_policy()), LedgerOwner(settings.points_policy()),
            StockOwner(), AccountsOwner(settings.account_policy()), AuditOwner(),
            ResidentsOwner(), FlagsOwner(), CertificatesOwner(),
            ActivitiesOwner(settings.activity_policy()), WishesOwner(settings.wish_policy()),
            HouseholdsOwner(), CasesOwner(settings.case_policy()),
            CarePlansOwner(settings.care_policy())]


def message_of(record: Record) -> Any:
    """The record's message: the very object appended, while the log still holds it, or
    decoded and validated from the stored body."""
    if record.message is not None:
        return record.message
    return decode(BY_NAME[record.topic], record.body)


def incoming(record: Record) -> Incoming:
    try:
        return Incoming(message_of(record), record.position)
    except ValidationError as e:
        return Incoming(Undecodable(record.topic, bytes(record.body), str(e),
                                    record.message_id), record.position)


class Waiters:
    """Callers waiting for the answer to a command, by its id."""

    def __init__(self) -> None:
        self._waiting: dict[UUID, list[asyncio.Future[CommandOutcome]]] = {}

    def wait_for(self, command_id: UUID) -> asyncio.Future[CommandOutcome]:
        future: asyncio.Future[CommandOutcome] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(command_id, []).append(future)
        return future

    def forget(self, command_id: UUID, future: asyncio.Future[CommandOutcome]) -> None:
        waiting = self._waiting.get(command_id, [])
        if future in waiting:
            waiting.remove(future)
        if not waiting:
            self._waiting.pop(command_id, None)

    def resolve(self, outputs: Iterable[LogMessage]) -> None:
        for message in outputs:
            if isinstance(message, CommandOutcome):
                for future in self._waiting.pop(message.command_id, []):
                    if not future.done():
                        future.set_result(message)


class LogBus:
    """The embedded `Bus`: the outputs and the consumer's new position in one transaction of
    the log; then the answers among them go to the callers waiting."""

    def __init__(self, log: SQLiteLog, waiters: Waiters, consumer: str) -> None:
        self.log = log
        self.waiters = waiters
        self.consumer = consumer

    async def deliver(self, outputs: Sequence[LogMessage], upto: int | None = None) -> None:
        if upto is None:
            if outputs:
                await self.log.append_async(outputs)
        else:
            await self.log.commit_async(self.consumer, upto, outputs)
        self.waiters.resolve(outputs)


class EmbeddedCommandBus:
    """The gateway's `CommandBus` in the embedded mode: commands appended to the log."""

    def __init__(self, log: SQLiteLog, waiters: Waiters) -> None:
        self.log = log
        self.waiters = waiters
        self._sent: dict[UUID, asyncio.Future[CommandOutcome]] = {}

    async def send(self, command: Command) -> None:
        """Append the command, already waiting for its answer.

        The waiter is in place before the append, so the answer cannot slip past it and
        `outcome` need not look in the log. A command that was in the log before (a retry
        racing its first attempt, or the same key with another body) may have its answer
        there already: that one looks.
        """
        command_id = command.command_id
        future = self.waiters.wait_for(command_id)
        try:
            [added] = await self.log.append_async([command])
        except BaseException:
            self.waiters.forget(command_id, future)
            raise
        if added:
            self._sent[command_id] = future
        else:
            self.waiters.forget(command_id, future)

    async def outcome(self, command_id: UUID, wait_s: float) -> CommandOutcome | None:
        future = self._sent.pop(command_id, None)
        if future is None:
            record = self.log.find(COMMAND_OUTCOMES.name, str(command_id))
            if record is not None:
                found: CommandOutcome = decode(COMMAND_OUTCOMES, record.body)
                return found
            if wait_s <= 0:
                return None
            future = self.waiters.wait_for(command_id)
        try:
            return await asyncio.wait_for(future, wait_s)
        except TimeoutError:
            return None
        finally:
            self.waiters.forget(command_id, future)


class EmbeddedPlatform:
    def __init__(self, settings: Settings, clock: Clock = utcnow,
                 registry: CollectorRegistry | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.log = SQLiteLog(settings.data_dir / "log.sqlite3", settings.sqlite_synchronous,
                             max_bytes=settings.log_max_bytes,
                             headroom_bytes=settings.log_headroom_bytes)
        self.store = MemoryStore(settings.marker_ttl_s)
        self.keys = SQLiteKeys(settings.data_dir / "keys.sqlite3")
        self.board = HealthBoard(registry)
        self.supervisor = Supervisor(self.board)
        self.waiters = Waiters()
        self.commands = EmbeddedCommandBus(self.log, self.waiters)
        self.projected = 0
        self.hosts: list[Host] = []
        self.projector = self._projector()
        self.outbox = Outbox(sender_for(settings.outbox_sender, settings.outbox_webhook_url),
                             self.keys, clock, settings.outbox_retries_max,
                             self.board.registry, settings.notice_fresh_s, self.store,
                             settings.notifications_max)

    def _projector(self) -> LiveProjector:
        s = self.settings
        return LiveProjector(self.store, self.clock, s.live_recent_max, s.notifications_max,
                             s.live_closed_window_s)

    # -- start-up and shut-down ----------------------------------------------------------

    async def recover(self) -> int:
        """Fold the whole log into fresh owners, the store and the projections."""
        owners = owners_of(self.settings)
        self.projector = self._projector()
        head = self.log.head()
        replay = Replay(owners, self.projector, markers=False)
        folded = await replay.run(SQLiteLogReader(self.log))
        await replay.write(self.store)
        self.projected = head
        self.hosts = []
        for owner in owners:
            host = Host(owner, self.store, LogBus(self.log, self.waiters, owner.name),
                        self.clock, self.board, self.settings.worker_retries_max)
            host.adopt(owner.held())
            self.hosts.append(host)
        return folded

    async def start(self) -> None:
        await self.recover()
        for host in self.hosts:
            self.supervisor.spawn(host.name, functools.partial(self._feed, host))
        self.supervisor.spawn(CREDITS, self._relay_credits)
        self.supervisor.spawn("projections", self._project)
        self.supervisor.spawn("live-board", self._save_live)
        self.supervisor.spawn(OUTBOX, self._send_outbox)
        self.supervisor.spawn(NOTICES, self._send_notices)

    async def stop(self) -> None:
        await self.supervisor.stop()
        await self.log.drain()
        self.log.close()
        self.keys.close()

    # -- the owners ----------------------------------------------------------------------

    async def _feed(self, host: Host) -> None:
        """The owner's commands from the log, in batches, to its host; its deadlines once a
        tick, busy or not."""
        topic = host.owner.family.command_topic.name
        tick_s = self.settings.timer_tick_s
        timers_due = 0.0
        while True:
            watch = self.log.watch([topic])
            records = self.log.read([topic], self.log.position(host.name),
                                    self.settings.worker_slice_max)
            if records:
                await host.apply([incoming(r) for r in records])
            if time.monotonic() >= timers_due:
                await self._fire_timers(host)
                timers_due = time.monotonic() + tick_s
            if records:
                await asyncio.sleep(0)
            else:
                await self.log.appended(watch, tick_s)

    async def _fire_timers(self, host: Host) -> None:
        try:
            await host.fire_timers()
        except Unavailable as e:
            self.board.trouble(f"timers:{host.name}", str(e))
            return
        self.board.clear(f"timers:{host.name}")

    # -- follow-ups: confirmed services become ledger credits, escalations and disputes cases

    async def _relay_credits(self) -> None:
        bus = LogBus(self.log, self.waiters, CREDITS)
        backoff = Backoff()
        while True:
            watch = self.log.watch([DISPATCH_EVENTS.name])
            records = self.log.read([DISPATCH_EVENTS.name], self.log.position(CREDITS),
                                    self.settings.batch_size_max)
            if not records:
                await self.log.appended(watch, 5.0)
                continue
            outputs: list[LogMessage] = []
            for record in records:
                try:
                    outputs += follow_ups(message_of(record))
                except Exception as e:
                    log.exception("credits could not handle %s", record.message_id)
                    outputs.append(dead_letter(CREDITS, record.topic, record.message_id,
                                               record.type, bytes(record.body), repr(e),
                                               self.clock()))
            try:
                await bus.deliver(outputs, records[-1].position)
            except Unavailable as e:
                self.board.trouble(f"relay:{CREDITS}", str(e))
                await backoff.wait()
                continue
            self.board.clear(f"relay:{CREDITS}")
            backoff.reset()

    # -- the outbox: codes and notices leave through the sender ---------------------------

    async def _follow(self, consumer: str, topics: Sequence[str],
                      handle: Callable[[Any], Awaitable[None]]) -> None:
        """Hand every message of the topics, from the consumer's own position on, to
        `handle`, then move the position (at least once: a restart between the two hands
        one again)."""
        while True:
            watch = self.log.watch(topics)
            records = self.log.read(topics, self.log.position(consumer),
                                    self.settings.batch_size_max)
            if not records:
                await self.log.appended(watch, 5.0)
                continue
            for record in records:
                await handle(message_of(record))
            await self.log.commit_async(consumer, records[-1].position, [])

    async def _send_outbox(self) -> None:
        """The codes the account events carry."""
        await self._follow(OUTBOX, [ACCOUNT_EVENTS.name], self.outbox.deliver)

    async def _send_notices(self) -> None:
        """The notices of the flow's events, texted to those with a phone."""
        views = StoreViews(self.store)
        await self._follow(NOTICES, [DISPATCH_EVENTS.name, LEDGER_EVENTS.name],
                           lambda event: self.outbox.notify(event, views))

    # -- projections: the live board and notifications ------------------------------------

    async def _project(self) -> None:
        """Fold every event into the projector as it is committed. An event the fold cannot
        take is set aside as a dead letter (the board counts it) and the fold goes on."""
        while True:
            watch = self.log.watch(PROJECTED_TOPICS)
            records = self.log.read(PROJECTED_TOPICS, self.projected,
                                    self.settings.batch_size_max)
            if not records:
                await self.log.appended(watch, 5.0)
                continue
            for n, record in enumerate(records, start=1):
                try:
                    self.projector.fold(message_of(record))
                except Exception as e:
                    log.exception("the live board could not fold %s", record.message_id)
                    letter = dead_letter(LIVE, record.topic, record.message_id, record.type,
                                         bytes(record.body), repr(e), self.clock())
                    with contextlib.suppress(Unavailable):
                        await self.log.append_async([letter])
                self.projected = record.position
                if n % self.settings.worker_slice_max == 0:
                    await asyncio.sleep(0)
            await self.projector.save_notes()

    async def _save_live(self) -> None:
        """The board's snapshot, coalesced; at least once a second for the clock's sake."""
        every = max(1, round(1 / self.settings.live_coalesce_s))
        ticks = 0
        while True:
            await self.projector.save(force=ticks % every == 0)
            ticks += 1
            await asyncio.sleep(self.settings.live_coalesce_s)


class EmbeddedHealth:
    """`/healthz` of the embedded platform: the log takes writes, nothing is retrying, every
    task runs."""

    def __init__(self, platform: EmbeddedPlatform) -> None:
        self.platform = platform

    async def report(self) -> tuple[bool, dict[str, object]]:
        platform = self.platform
        writable = platform.log.probe()
        problems = platform.board.report()
        if not writable:
            problems["log"] = "the log does not take writes (is the disk full?)"
        snapshot = await platform.store.live()
        return writable and platform.board.ok, {
            "mode": "embedded",
            "log_head": platform.log.head(),
            "projected": platform.projected,
            "dead_letters": 0 if snapshot is None else snapshot.dead_letters,
            "tasks": platform.supervisor.report(),
            "problems": problems,
        }
