"""The real host of every owner on one store, with a bus of memory: what the contract suites
of the views and the deterministic simulation drive instead of a whole platform.

`MemoryBus` keeps every delivered output in order (a log of memory) and queues the follow-up
commands among them; `Rig.send` applies a command to its owner's host and then everything it
led to — follow-up commands to their owners, confirmed services to the ledger as credits —
exactly as the runtime's relays do.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from consumers.ledger.handlers import credits_for
from runtime.embedded import owners_of
from runtime.health import Backoff, HealthBoard
from runtime.host import Host
from runtime.ports import Incoming, Owner, Store
from runtime.settings import Settings
from schemas.base import Command, CommandOutcome, Event, LogMessage
from schemas.topics import topic_of


class MemoryBus:
    def __init__(self) -> None:
        self.log: list[LogMessage] = []
        self.pending: deque[Command] = deque()
        self.outcomes: dict[object, CommandOutcome] = {}

    async def deliver(self, outputs: Sequence[LogMessage], upto: int | None = None) -> None:
        for message in outputs:
            self.log.append(message)
            if isinstance(message, Command):
                self.pending.append(message)
            elif isinstance(message, CommandOutcome):
                self.outcomes[message.command_id] = message
            elif isinstance(message, Event):
                self.pending.extend(credits_for(message))


class Rig:
    def __init__(self, store: Store, clock: Callable[[], datetime] | None = None,
                 bus: MemoryBus | None = None, settings: Settings | None = None) -> None:
        self.store = store
        self.clock = clock or (lambda: datetime.now(UTC))
        self.bus = bus or MemoryBus()
        self.settings = settings or Settings()
        self.board = HealthBoard()
        self.hosts = [self.host_for(owner) for owner in owners_of(self.settings)]

    def host_for(self, owner: Owner) -> Host:
        return Host(owner, self.store, self.bus, self.clock, self.board,
                    backoff=Backoff(first_s=0.001, max_s=0.01))

    def host_of(self, command: Command) -> Host:
        topic = topic_of(command)
        return next(h for h in self.hosts if h.owner.family.command_topic is topic)

    async def send(self, command: Command) -> CommandOutcome | None:
        """Apply the command and all it leads to; its answer, if it has one by then."""
        await self.host_of(command).apply([Incoming(command)])
        await self.settle()
        return self.bus.outcomes.get(command.command_id)

    async def settle(self) -> None:
        while self.bus.pending:
            follow_up = self.bus.pending.popleft()
            await self.host_of(follow_up).apply([Incoming(follow_up)])
