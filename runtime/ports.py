"""The ports of the one host (DESIGN §8) and what crosses them.

Every owner — a county's dispatch, a volunteer's points, a gift's stock, and each owner to
come — runs in `runtime.host.Host`, written once. The host binds to two ports:
- a `Store`: the owners' rows, the markers "this command is applied" (holding what it
  produced), and the read models the gateway serves. `memory_store.MemoryStore` (the
  embedded mode) and `redis_store.RedisStore` (the scaled mode) implement it;
  `tests/contract/test_store.py` runs one suite against both.
- a `Bus`: where the outputs go — events and commands to their topics, answers to the
  callers waiting for them. `embedded.LogBus` (the SQLite log) and `faust_app.KafkaBus`
  implement it; `tests/contract/test_bus.py` runs one suite against both.
The log itself is read through a `LogReader` (start-up and `vdispatch rebuild` fold it with
`replay.Replay`); the gateway's own ports (`gateway.ports`: `CommandBus`, `Views`,
`HealthCheck`) are implemented once over the store, in `runtime.views`.

A new owner plugs in with: a `Family` in `schemas.topics` (its topics and its key), a state
with `collections()`/`restore()`, an owner object of the `Owner` shape below, and one line
where each mode lists its owners (`embedded.owners_of` and `faust_app.Workers`).

Infrastructure failures cross these ports as `Unavailable` (the gateway answers 503, the host
backs off and retries); anything else an owner raises is the owner's own failure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from gateway.ports import Unavailable
from schemas.base import Command, LogMessage
from schemas.decision import Decision
from schemas.records import Journal, Ranking, Records
from schemas.topics import Family, Topic
from schemas.views import LiveSnapshot, Notification

__all__ = ["Bus", "Incoming", "LogReader", "Owner", "OwnerState", "Step", "Store",
           "Unavailable", "Undecodable"]


class OwnerState(Protocol):
    """One aggregate's state: rows it reads (loaded), journals and rankings it only writes."""

    def collections(self) -> dict[str, Records[Any]]:
        """Every persisted collection of rows by name."""

    def journals(self) -> dict[str, Journal[Any]]:
        """Every list the state appends to, by name."""

    def ranking(self) -> Ranking:
        """The sorted indexes the state keeps for readers."""

    def restore(self, rows: dict[str, dict[str, Any]]) -> None:
        """Take in rows read back from the store (not changes)."""


class Owner(Protocol):
    """Pure rules bound to a family of aggregates: decide a command, fold an event."""

    name: str
    family: Family

    def state_of(self, key: str) -> OwnerState:
        """The state holding the aggregate with this key (made empty if absent)."""

    def forget(self, key: str) -> None:
        """Drop the aggregate from memory: it is loaded again from the store when needed."""

    def held(self) -> list[str]:
        """The aggregates held in memory."""

    def decide(self, command: Command, now: datetime) -> Decision: ...

    def evolve(self, event: Any) -> None: ...

    def timers(self, now: datetime) -> list[Command]:
        """Commands for the deadlines of the aggregates in memory that have passed."""


@dataclass(frozen=True)
class Undecodable:
    """A message that did not validate against its topic's schema: it is dead-lettered."""

    topic: str
    body: bytes
    reason: str
    message_id: str = "?"


@dataclass(frozen=True)
class Incoming:
    """A command as it reaches the host, with its position in the log where the log has one
    (the embedded mode moves its consumer there together with the outputs)."""

    message: Command | Undecodable
    position: int | None = None


@dataclass
class Step:
    """What one aggregate's commands of a batch changed — its rows, what they appended to
    its journals, how they moved it in its rankings — and the markers (command id → what it
    produced), all written in one atomic write."""

    tag: str
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    appends: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    ranks: dict[str, dict[str, float | None]] = field(default_factory=dict)
    markers: dict[UUID, Sequence[LogMessage]] = field(default_factory=dict)

    def add(self, changes: dict[str, dict[str, Any]]) -> None:
        for name, changed in changes.items():
            if changed:
                self.rows.setdefault(name, {}).update(changed)

    def take(self, state: OwnerState) -> None:
        """Drain the state's changes into this step."""
        for name, records in state.collections().items():
            changed = records.drain_changes()
            if changed:
                self.rows.setdefault(name, {}).update(changed)
        for name, journal in state.journals().items():
            for key, items in journal.drain_changes().items():
                self.appends.setdefault(name, {}).setdefault(key, []).extend(items)
        for index, moves in state.ranking().drain_changes().items():
            self.ranks.setdefault(index, {}).update(moves)

    @property
    def empty(self) -> bool:
        return not (self.rows or self.appends or self.ranks or self.markers)


class Store(Protocol):
    """Derived state: the owners' rows and markers, and the read models built on them."""

    # -- the owners' side ------------------------------------------------------------------

    async def applied(self, markers: Sequence[tuple[str, UUID]]
                      ) -> list[list[LogMessage] | None]:
        """For each (tag, command id): what the command produced, if it was applied."""

    async def load(self, tags: Sequence[str], collections: Sequence[str]
                   ) -> list[dict[str, dict[str, Any]]]:
        """Every row of the collections of each aggregate, in one round trip."""

    async def commit(self, steps: Sequence[Step],
                     registrations: Sequence[tuple[str, str]] = ()) -> None:
        """Write each step atomically (rows and markers together); register new aggregates
        (family, key) first."""

    async def registered(self, family: str) -> list[str]:
        """The keys of every aggregate of a listed family, sorted."""

    # -- the readers' side -----------------------------------------------------------------

    async def row(self, tag: str, collection: str, key: str) -> Any | None: ...

    async def rows(self, tag: str, collection: str, keys: Sequence[str]) -> list[Any | None]:
        """Several rows of one aggregate, in the order asked (None where missing)."""

    async def row_across(self, tags: Sequence[str], collection: str, key: str
                         ) -> list[Any | None]:
        """The row with this key in each of several aggregates, in one round trip."""

    async def all_rows(self, tags: Sequence[str], collection: str) -> list[Any]:
        """Every row of a collection of several aggregates: for small collections only."""

    async def journals(self, tag: str, name: str, keys: Sequence[str], limit: int
                       ) -> list[tuple[list[Any], int]]:
        """For each key, the first `limit` items of its list (oldest first) and how many it
        has, in one round trip."""

    async def ranked(self, tags: Sequence[str], index: str, limit: int,
                     after: tuple[float, str] | None = None) -> list[tuple[float, str, str]]:
        """The highest-ranked members of the index across several aggregates, highest
        first, strictly after the cursor `(score, member)`: (score, member, tag) each."""

    # -- projections -----------------------------------------------------------------------

    async def save_live(self, boards: Mapping[str, LiveSnapshot], at: datetime) -> None:
        """Keep the snapshots of the boards that moved (by scope; "" is the whole
        platform's) and note that every other board was still the same at `at`."""

    async def live(self, scope: str | None = None) -> LiveSnapshot | None:
        """A scope's board as of the latest save (`generated_at` is that time), if it has
        one; None: the whole platform's."""

    async def live_saved(self, position: int, timeout_s: float, scope: str | None = None
                         ) -> None:
        """Return once the scope's board is saved past `position`, or after the timeout."""

    async def notify(self, notes: Sequence[Notification], keep: int) -> None:
        """Add to inboxes, each kept to its newest `keep`; a repeat is one entry."""

    async def inbox(self, recipient: str, limit: int) -> list[Notification]:
        """The newest first."""

    async def drop_all(self) -> int:
        """Delete everything derived (a rebuild starts from nothing); the count deleted."""


class Bus(Protocol):
    """Where an owner's outputs go once its store step is written."""

    async def deliver(self, outputs: Sequence[LogMessage], upto: int | None = None) -> None:
        """Make the outputs durable on their topics and hand the answers among them to the
        callers waiting; with `upto`, also acknowledge the commands up to that log position
        in the same write."""


class LogReader(Protocol):
    """The log from its beginning, for folding it into fresh derived state."""

    async def total(self, topics: Sequence[Topic]) -> int:
        """How many messages the topics hold now (for progress)."""

    def scan(self, topics: Sequence[Topic]) -> AsyncIterator[tuple[Topic, Any]]:
        """Every message of the topics that is there now, in order per key, decoded."""
