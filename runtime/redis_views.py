"""Read models of the scaled mode, answered from Redis.

A county's rows sit under its own hash tag, so a look-up by an id that does not name its
county (a team, a leader, a volunteer) asks every registered county in one pipelined round
trip; a city or province has tens to a few hundred counties.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

from runtime.redis_state import ROWS, RedisStore
from schemas.common import county_of
from schemas.views import (
    AccountView,
    AreaView,
    CatalogItemView,
    LiveSnapshot,
    Notification,
    Percentiles,
    RequestView,
    TeamView,
    VolunteerView,
)

LIVE_POLL_S = 0.2


def empty_snapshot(now: datetime) -> LiveSnapshot:
    nothing = Percentiles(count=0, p50_s=None, p90_s=None)
    return LiveSnapshot(generated_at=now, position=0, funnel=(), by_area={},
                        by_service_type={}, time_to_dispatch=nothing, time_to_accept=nothing,
                        time_to_complete=nothing, overdue=(), escalated=(), recent=(),
                        teams=())


class RedisViews:
    def __init__(self, store: RedisStore, notifications_max: int = 100) -> None:
        self.store = store
        self.keys = store.keys
        self.redis = store.redis
        self.notifications_max = notifications_max

    def _county(self, county: str) -> str:
        return self.keys.tag("county", county)

    async def _one(self, county: str, collection: str, key: str) -> Any:
        raw = await self.redis.hget(self.keys.rows(self._county(county), collection), key)
        return None if raw is None else ROWS[collection].validate_json(raw)

    async def _anywhere(self, collection: str, key: str) -> tuple[str, Any] | None:
        counties = await self.store.registered("county")
        if not counties:
            return None
        async with self.redis.pipeline(transaction=False) as pipe:
            for county in counties:
                pipe.hget(self.keys.rows(self._county(county), collection), key)
            found = await pipe.execute()
        for county, raw in zip(counties, found, strict=True):
            if raw is not None:
                return county, ROWS[collection].validate_json(raw)
        return None

    async def _all(self, collection: str) -> list[Any]:
        counties = await self.store.registered("county")
        async with self.redis.pipeline(transaction=False) as pipe:
            for county in counties:
                pipe.hvals(self.keys.rows(self._county(county), collection))
            found = await pipe.execute()
        return [ROWS[collection].validate_json(raw) for rows in found for raw in rows]

    async def _requests(self, county: str, ids: list[str]) -> list[RequestView]:
        if not ids:
            return []
        raw = await self.redis.hmget(self.keys.rows(self._county(county), "requests"), ids)
        return [ROWS["requests"].validate_json(r) for r in raw if r is not None]

    async def area(self, code: str) -> AreaView | None:
        found: AreaView | None = await self._one(county_of(code), "areas", code)
        return found

    async def areas(self) -> list[AreaView]:
        return sorted(await self._all("areas"), key=lambda a: a.code)

    async def team(self, team_id: str) -> TeamView | None:
        found = await self._anywhere("teams", team_id)
        return None if found is None else found[1]

    async def teams(self) -> list[TeamView]:
        return sorted(await self._all("teams"), key=lambda t: t.team_id)

    async def team_of_leader(self, leader_id: str) -> TeamView | None:
        found = await self._anywhere("leaders", leader_id)
        if found is None:
            return None
        team: TeamView | None = await self._one(found[0], "teams", found[1])
        return team

    async def volunteer(self, volunteer_id: str) -> VolunteerView | None:
        found = await self._anywhere("volunteers", volunteer_id)
        return None if found is None else found[1]

    async def team_volunteers(self, team_id: str) -> list[VolunteerView]:
        team = await self.team(team_id)
        if team is None:
            return []
        rows = await self.redis.hvals(self.keys.rows(self._county(team.county), "volunteers"))
        volunteers = [ROWS["volunteers"].validate_json(r) for r in rows]
        return sorted((v for v in volunteers if v.team_id == team_id),
                      key=lambda v: v.volunteer_id)

    async def request(self, request_id: str) -> RequestView | None:
        found: RequestView | None = await self._one(county_of(request_id), "requests",
                                                    request_id)
        return found

    async def requests_of_resident(self, resident_id: str, limit: int) -> list[RequestView]:
        counties = await self.store.registered("county")
        mine: list[RequestView] = []
        for county in counties:
            ids = await self._one(county, "residents", resident_id)
            mine += await self._requests(county, list(ids or ()))
        return sorted(mine, key=lambda r: r.submitted_at, reverse=True)[:limit]

    async def requests(self, status: str | None, limit: int) -> list[RequestView]:
        found = [r for r in await self._all("requests")
                 if status is None or r.status.value == status]
        return sorted(found, key=lambda r: r.submitted_at, reverse=True)[:limit]

    async def tasks(self, team_id: str) -> list[RequestView]:
        team = await self.team(team_id)
        if team is None:
            return []
        ids = await self._one(team.county, "tasks", team_id)
        return await self._requests(team.county, list(ids or ()))

    async def account(self, volunteer_id: str) -> AccountView | None:
        tag = self.keys.tag("volunteer", volunteer_id)
        raw = await self.redis.hget(self.keys.rows(tag, "accounts"), volunteer_id)
        return None if raw is None else ROWS["accounts"].validate_json(raw)

    async def catalog(self) -> list[CatalogItemView]:
        items = [await self.catalog_item(i) for i in await self.store.registered("item")]
        return sorted((i for i in items if i is not None), key=lambda i: i.item_id)

    async def catalog_item(self, item_id: str) -> CatalogItemView | None:
        tag = self.keys.tag("item", item_id)
        raw = await self.redis.hget(self.keys.rows(tag, "items"), item_id)
        return None if raw is None else ROWS["items"].validate_json(raw)

    async def live(self, now: datetime) -> LiveSnapshot:
        return await self.store.live() or empty_snapshot(now)

    async def live_moved(self, position: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if await self.store.live_position() != position:
                return
            await asyncio.sleep(LIVE_POLL_S)

    async def notifications(self, recipient: str) -> list[Notification]:
        return await self.store.inbox(recipient, self.notifications_max)

    async def health(self) -> dict[str, object]:
        await self.redis.ping()
        return {"mode": "kafka", "redis": "ok", "dead_letters": await self.store.dead_letters(),
                "live_position": await self.store.live_position()}
