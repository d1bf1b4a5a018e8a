"""Read models of the embedded mode, answered from the in-process owners and projections."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from dispatcher.state import DispatchState
from runtime.embedded import EmbeddedPlatform
from schemas.topics import DEAD_LETTERS
from schemas.views import (
    AccountView,
    AreaView,
    CatalogItemView,
    LiveSnapshot,
    Notification,
    RequestView,
    TeamView,
    VolunteerView,
)


class MemoryViews:
    def __init__(self, platform: EmbeddedPlatform) -> None:
        self.platform = platform

    @property
    def _dispatch(self) -> DispatchState:
        return self.platform.dispatcher.state

    async def area(self, code: str) -> AreaView | None:
        return self._dispatch.areas.get(code)

    async def areas(self) -> list[AreaView]:
        return sorted(self._dispatch.areas.values(), key=lambda a: a.code)

    async def team(self, team_id: str) -> TeamView | None:
        return self._dispatch.teams.get(team_id)

    async def teams(self) -> list[TeamView]:
        return sorted(self._dispatch.teams.values(), key=lambda t: t.team_id)

    async def team_of_leader(self, leader_id: str) -> TeamView | None:
        team_id = self._dispatch.team_of_leader.get(leader_id)
        return None if team_id is None else self._dispatch.teams.get(team_id)

    async def volunteer(self, volunteer_id: str) -> VolunteerView | None:
        return self._dispatch.volunteers.get(volunteer_id)

    async def team_volunteers(self, team_id: str) -> list[VolunteerView]:
        return sorted(
            (v for v in self._dispatch.volunteers.values() if v.team_id == team_id),
            key=lambda v: v.volunteer_id,
        )

    async def request(self, request_id: str) -> RequestView | None:
        return self._dispatch.requests.get(request_id)

    async def requests_of_resident(self, resident_id: str, limit: int) -> list[RequestView]:
        ids = self._dispatch.by_resident.get(resident_id, ())[-limit:]
        return [self._dispatch.requests[i] for i in reversed(ids)]

    async def requests(self, status: str | None, limit: int) -> list[RequestView]:
        found: list[RequestView] = []
        for request in reversed(list(self._dispatch.requests.values())):
            if status is None or request.status.value == status:
                found.append(request)
                if len(found) >= limit:
                    break
        return found

    async def tasks(self, team_id: str) -> list[RequestView]:
        inbox = self._dispatch.tasks.get(team_id, ())
        return [self._dispatch.requests[r] for r in inbox]

    async def account(self, volunteer_id: str) -> AccountView | None:
        return self.platform.ledger.state.accounts.get(volunteer_id)

    async def catalog(self) -> list[CatalogItemView]:
        return sorted(self.platform.stock.state.items.values(), key=lambda i: i.item_id)

    async def catalog_item(self, item_id: str) -> CatalogItemView | None:
        return self.platform.stock.state.items.get(item_id)

    async def live(self, now: datetime) -> LiveSnapshot:
        return self.platform.live.snapshot(now)

    async def notifications(self, recipient: str) -> list[Notification]:
        return self.platform.inboxes.for_recipient(recipient)

    async def live_moved(self, position: int, timeout_s: float) -> None:
        if self.platform.live.position > position:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.platform.live_changed.wait(), timeout_s)

    async def health(self) -> dict[str, object]:
        log = self.platform.log
        return {
            "mode": "embedded",
            "log_head": log.head(),
            "projected": self.platform.projected,
            "dead_letters": log.count(DEAD_LETTERS.name),
        }
