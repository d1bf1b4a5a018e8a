"""Read models of the embedded mode, answered from the in-process owners and projections."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from dispatcher.state import DispatchState
from runtime.embedded import EmbeddedPlatform
from schemas.common import county_of
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
    def _counties(self) -> dict[str, DispatchState]:
        return self.platform.dispatcher.counties

    def _county(self, code: str) -> DispatchState | None:
        return self._counties.get(county_of(code))

    def _team_county(self, team_id: str) -> DispatchState | None:
        return next((c for c in self._counties.values() if team_id in c.teams), None)

    async def area(self, code: str) -> AreaView | None:
        county = self._county(code)
        return None if county is None else county.areas.get(code)

    async def areas(self) -> list[AreaView]:
        found = [a for c in self._counties.values() for a in c.areas.values()]
        return sorted(found, key=lambda a: a.code)

    async def team(self, team_id: str) -> TeamView | None:
        county = self._team_county(team_id)
        return None if county is None else county.teams[team_id]

    async def teams(self) -> list[TeamView]:
        found = [t for c in self._counties.values() for t in c.teams.values()]
        return sorted(found, key=lambda t: t.team_id)

    async def team_of_leader(self, leader_id: str) -> TeamView | None:
        for county in self._counties.values():
            team_id = county.team_of_leader.get(leader_id)
            if team_id is not None:
                return county.teams[team_id]
        return None

    async def volunteer(self, volunteer_id: str) -> VolunteerView | None:
        for county in self._counties.values():
            if volunteer_id in county.volunteers:
                return county.volunteers[volunteer_id]
        return None

    async def team_volunteers(self, team_id: str) -> list[VolunteerView]:
        county = self._team_county(team_id)
        if county is None:
            return []
        return sorted((v for v in county.volunteers.values() if v.team_id == team_id),
                      key=lambda v: v.volunteer_id)

    async def request(self, request_id: str) -> RequestView | None:
        county = self._county(request_id)
        return None if county is None else county.requests.get(request_id)

    async def requests_of_resident(self, resident_id: str, limit: int) -> list[RequestView]:
        mine = [c.requests[i] for c in self._counties.values()
                for i in c.by_resident.get(resident_id, ())]
        return sorted(mine, key=lambda r: r.submitted_at, reverse=True)[:limit]

    async def requests(self, status: str | None, limit: int) -> list[RequestView]:
        found = [r for c in self._counties.values() for r in c.requests.values()
                 if status is None or r.status.value == status]
        return sorted(found, key=lambda r: r.submitted_at, reverse=True)[:limit]

    async def tasks(self, team_id: str) -> list[RequestView]:
        county = self._team_county(team_id)
        if county is None:
            return []
        return [county.requests[r] for r in county.tasks.get(team_id, ())]

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
