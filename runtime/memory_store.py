"""The store of the embedded mode, in the process's memory (rebuilt from the log at start).

A real implementation of `runtime.ports.Store`, not a fake: rows are kept by tag and
collection as Redis keeps hashes, a step is applied whole or not at all, markers expire after
their time to live, inboxes keep their newest entries. `tests/contract/test_store.py` holds
it to the same suite as `RedisStore`. Values are the read models themselves (immutable), so
nothing is encoded on the way in or out.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sortedcontainers import SortedList

from runtime.ports import Step
from schemas.base import LogMessage
from schemas.views import LiveSnapshot, Notification

MARKERS_MAX = 10_000
"""Markers kept at most, the oldest dropped first. In the embedded mode a marker is needed
only between an owner's store step and the delivery of its outputs to the log: the log
refuses a second command with an id it holds, forever, and an owner never reads a command
again once its position has passed it. An owner retries one batch (at most
`VD_WORKER_SLICE_MAX` commands) until it is delivered, so a few hundred markers are ever in
flight; the bound keeps memory flat, where a week of markers would hold every output of a
week in memory."""


class MemoryStore:
    def __init__(self, marker_ttl_s: float, monotonic: Callable[[], float] = time.monotonic,
                 markers_max: int = MARKERS_MAX) -> None:
        self.marker_ttl_s = marker_ttl_s
        self.monotonic = monotonic
        self.markers_max = markers_max
        self._rows: dict[tuple[str, str], dict[str, Any]] = {}
        self._journals: dict[tuple[str, str, str], list[Any]] = {}
        self._scores: dict[tuple[str, str], dict[str, float]] = {}
        self._ranked: dict[tuple[str, str], SortedList[tuple[float, str]]] = {}
        self._markers: OrderedDict[tuple[str, UUID], tuple[float, list[LogMessage]]] = (
            OrderedDict())
        self._registry: dict[str, set[str]] = {}
        self._boards: dict[str, LiveSnapshot] = {}
        self._live_at: datetime | None = None
        self._live_saved = asyncio.Event()
        self._inboxes: dict[str, dict[UUID, Notification]] = {}
        self._inbox_order: dict[str, SortedList[tuple[datetime, UUID]]] = {}

    # -- the owners' side ------------------------------------------------------------------

    async def applied(self, markers: Sequence[tuple[str, UUID]]
                      ) -> list[list[LogMessage] | None]:
        now = self.monotonic()
        found: list[list[LogMessage] | None] = []
        for marker in markers:
            entry = self._markers.get(marker)
            found.append(None if entry is None or entry[0] <= now else list(entry[1]))
        return found

    async def load(self, tags: Sequence[str], collections: Sequence[str]
                   ) -> list[dict[str, dict[str, Any]]]:
        return [{name: dict(self._rows.get((tag, name), {})) for name in collections}
                for tag in tags]

    async def commit(self, steps: Sequence[Step],
                     registrations: Sequence[tuple[str, str]] = ()) -> None:
        for family, key in registrations:
            self._registry.setdefault(family, set()).add(key)
        expires = self.monotonic() + self.marker_ttl_s
        for step in steps:
            for name, rows in step.rows.items():
                self._rows.setdefault((step.tag, name), {}).update(rows)
            for name, lists in step.appends.items():
                for key, items in lists.items():
                    self._journals.setdefault((step.tag, name, key), []).extend(items)
            for index, moves in step.ranks.items():
                self._move((step.tag, index), moves)
            for command_id, outputs in step.markers.items():
                self._markers[(step.tag, command_id)] = (expires, list(outputs))
                self._markers.move_to_end((step.tag, command_id))
        self._evict()

    def _move(self, index: tuple[str, str], moves: dict[str, float | None]) -> None:
        scores = self._scores.setdefault(index, {})
        ranked = self._ranked.setdefault(index, SortedList())
        for member, score in moves.items():
            old = scores.pop(member, None)
            if old is not None:
                ranked.discard((old, member))
            if score is not None:
                scores[member] = score
                ranked.add((score, member))

    def _evict(self) -> None:
        now = self.monotonic()
        while self._markers:
            marker, (expires, _) = next(iter(self._markers.items()))
            if expires > now and len(self._markers) <= self.markers_max:
                return
            del self._markers[marker]

    async def registered(self, family: str) -> list[str]:
        return sorted(self._registry.get(family, ()))

    # -- the readers' side -----------------------------------------------------------------

    async def row(self, tag: str, collection: str, key: str) -> Any | None:
        return self._rows.get((tag, collection), {}).get(key)

    async def rows(self, tag: str, collection: str, keys: Sequence[str]) -> list[Any | None]:
        found = self._rows.get((tag, collection), {})
        return [found.get(k) for k in keys]

    async def row_across(self, tags: Sequence[str], collection: str, key: str
                         ) -> list[Any | None]:
        return [self._rows.get((tag, collection), {}).get(key) for tag in tags]

    async def all_rows(self, tags: Sequence[str], collection: str) -> list[Any]:
        return [v for tag in tags for v in self._rows.get((tag, collection), {}).values()]

    async def journals(self, tag: str, name: str, keys: Sequence[str], limit: int
                       ) -> list[tuple[list[Any], int]]:
        found = [self._journals.get((tag, name, key), []) for key in keys]
        return [(items[:limit], len(items)) for items in found]

    async def ranked(self, tags: Sequence[str], index: str, limit: int,
                     after: tuple[float, str] | None = None) -> list[tuple[float, str, str]]:
        found: list[tuple[float, str, str]] = []
        for tag in tags:
            ranked = self._ranked.get((tag, index))
            if not ranked:
                continue
            stop = len(ranked) if after is None else ranked.bisect_left(after)
            found += [(score, member, tag)
                      for score, member in ranked.islice(max(0, stop - limit), stop)]
        found.sort(key=lambda f: (f[0], f[1]), reverse=True)
        return found[:limit]

    # -- projections -----------------------------------------------------------------------

    async def save_live(self, boards: Mapping[str, LiveSnapshot], at: datetime) -> None:
        self._boards.update(boards)
        self._live_at = at
        self._live_saved.set()
        self._live_saved = asyncio.Event()

    async def live(self, scope: str | None = None) -> LiveSnapshot | None:
        board = self._boards.get(scope or "")
        if board is None or self._live_at is None:
            return board
        return board.model_copy(update={"generated_at": self._live_at})

    async def live_saved(self, position: int, timeout_s: float, scope: str | None = None
                         ) -> None:
        """Every save wakes the waiters; each goes on waiting if its own board is the same."""
        deadline = time.monotonic() + timeout_s
        while (remaining := deadline - time.monotonic()) > 0:
            board = self._boards.get(scope or "")
            if board is not None and board.position != position:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._live_saved.wait(), remaining)

    async def notify(self, notes: Sequence[Notification], keep: int) -> None:
        for note in notes:
            inbox = self._inboxes.setdefault(note.recipient, {})
            order = self._inbox_order.setdefault(note.recipient, SortedList())
            if note.notification_id in inbox:
                continue
            inbox[note.notification_id] = note
            order.add((note.at, note.notification_id))
            while len(order) > keep:
                _, oldest = order.pop(0)
                del inbox[oldest]

    async def inbox(self, recipient: str, limit: int) -> list[Notification]:
        inbox = self._inboxes.get(recipient, {})
        order = self._inbox_order.get(recipient, ())
        return [inbox[n] for _, n in reversed(order[-limit:])] if order else []

    async def drop_all(self) -> int:
        dropped = (len(self._rows) + len(self._journals) + len(self._scores)
                   + len(self._markers) + len(self._registry) + len(self._inboxes)
                   + len(self._boards))
        self._rows.clear()
        self._journals.clear()
        self._scores.clear()
        self._ranked.clear()
        self._markers.clear()
        self._registry.clear()
        self._inboxes.clear()
        self._inbox_order.clear()
        self._boards.clear()
        self._live_at = None
        return dropped
