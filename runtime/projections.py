"""The projections every mode runs beside the owners: the live board and the inboxes.

`LiveProjector` folds events into the live flow and the inboxes and saves them to the store:
inbox entries as they come, the board's snapshot coalesced (at most once per
`live_coalesce_s`, and at least once a second for what moves with the clock alone: a request
falling overdue). The same projector runs in the embedded platform and in the live worker.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from consumers.live.flow import LiveFlow
from consumers.notifications.inbox import Inboxes
from runtime.ports import Store
from schemas.base import DeadLetter, Event

Clock = Callable[[], datetime]


class LiveProjector:
    def __init__(self, store: Store, clock: Clock, recent_max: int, notifications_max: int,
                 closed_window_s: float) -> None:
        self.store = store
        self.clock = clock
        self.flow = LiveFlow(recent_max, closed_window_s)
        self.inboxes = Inboxes()
        self.notifications_max = notifications_max
        self.saved_at = -1

    def fold(self, message: Any) -> None:
        if isinstance(message, DeadLetter):
            self.flow.note_dead_letter()
        elif isinstance(message, Event):
            self.flow.evolve(message)
            self.inboxes.evolve(message)

    async def save_notes(self) -> None:
        notes = self.inboxes.drain_fresh()
        if notes:
            await self.store.notify(notes, self.notifications_max)

    async def save(self, force: bool = False) -> None:
        """Write what changed: the new inbox entries, and the snapshots of the boards that
        moved, when the flow moved (or when `force`, for what moves with the clock).

        One board per scope, each saved only when it moved: a scope's read is then one
        look-up, and a save costs the boards an event touched (at most five per request
        event), not every area's. The time saved with them says until when the others were
        still the same."""
        await self.save_notes()
        if force or self.flow.position != self.saved_at:
            position = self.flow.position
            now = self.clock()
            await self.store.save_live(self.flow.changed_boards(now), now)
            self.saved_at = position
