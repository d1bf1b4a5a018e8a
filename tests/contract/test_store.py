"""The store port (`runtime.ports.Store`): one suite, run against every backend — the memory
store of the embedded mode and a real Redis of the scaled mode.

Proves, for each: a step's rows, appends, ranking moves and markers are all there after its
commit; markers hold what the command produced and expire after their time to live; loads
return exactly the rows written, as equal models; registries list their keys sorted; reads by
key, across aggregates and of whole collections agree; journals keep order and count; rankings
page highest first across aggregates through a cursor without gaps or repeats, ties included,
and forget what left them; the live boards (one per scope, each as of the latest save) and
inboxes behave alike; `drop_all` leaves nothing. How: the same test methods on a fresh store
of each kind (a namespace of its own in Redis); marker expiry with a clock the memory store is
given and a one-second TTL in Redis.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis
from services import Services

from runtime.memory_store import MemoryStore
from runtime.ports import Step, Store
from runtime.redis_store import RedisStore
from schemas.base import SYSTEM, CommandOutcome
from schemas.common import RequestStatus, Role
from schemas.events import AreaRegistered
from schemas.views import (
    AreaView,
    HistoryItem,
    LiveSnapshot,
    Notification,
    Percentiles,
)

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
C1, C2 = "{c:430511}", "{c:430502}"


def area(code: str, name: str = "区") -> AreaView:
    return AreaView(code=code, name=name)


def outputs(code: str = "430511") -> list[Any]:
    event_id = uuid.uuid4()
    return [AreaRegistered(event_id=event_id, occurred_at=NOW, correlation_id=event_id,
                           actor=SYSTEM, code=code, name="北塔区"),
            CommandOutcome(command_id=uuid.uuid4(), occurred_at=NOW, result={"ok": True})]


def history(n: int) -> HistoryItem:
    return HistoryItem(at=NOW + timedelta(seconds=n), event=f"E{n}",
                       status=RequestStatus.SUBMITTED, actor_role=Role.RESIDENT)


def snapshot(position: int) -> LiveSnapshot:
    nothing = Percentiles(count=0, p50_s=None, p90_s=None)
    return LiveSnapshot(generated_at=NOW, position=position, funnel=(), by_area={},
                        by_service_type={}, time_to_dispatch=nothing, time_to_accept=nothing,
                        time_to_complete=nothing, overdue=(), escalated=(), recent=(),
                        teams=())


def note(recipient: str, n: int) -> Notification:
    return Notification(notification_id=uuid.UUID(int=n), at=NOW + timedelta(seconds=n),
                        recipient=recipient, kind="k", text_zh="中", text_en="en")


class StoreContract:
    """Every test of the port; a subclass gives `store` for one backend."""

    async def expire_markers(self, store: Store) -> None:
        """Let more than the markers' time to live pass."""
        raise NotImplementedError

    async def test_a_step_writes_its_rows_appends_ranks_and_markers(self, store: Store) -> None:
        command_id = uuid.uuid4()
        made = outputs()
        step = Step(C1, rows={"areas": {"430511": area("430511")}},
                    appends={"history": {"R1": [history(1), history(2)]}},
                    ranks={"requests": {"R1": 10.0}}, markers={command_id: made})
        assert await store.applied([(C1, command_id)]) == [None]
        await store.commit([step])
        assert await store.applied([(C1, command_id), (C2, command_id)]) == [made, None]
        [rows] = await store.load([C1], ["areas", "teams"])
        assert rows == {"areas": {"430511": area("430511")}, "teams": {}}
        assert await store.journals(C1, "history", ["R1"], 10) == [([history(1), history(2)], 2)]
        assert await store.ranked([C1], "requests", 10) == [(10.0, "R1", C1)]

    async def test_later_steps_update_rows_and_extend_journals(self, store: Store) -> None:
        await store.commit([Step(C1, rows={"areas": {"430511": area("430511", "一")}},
                                 appends={"history": {"R1": [history(1)]}})])
        await store.commit([Step(C1, rows={"areas": {"430511": area("430511", "二"),
                                                     "430511001": area("430511001")}},
                                 appends={"history": {"R1": [history(2), history(3)]}})])
        [rows] = await store.load([C1], ["areas"])
        assert rows["areas"] == {"430511": area("430511", "二"),
                                 "430511001": area("430511001")}
        assert await store.journals(C1, "history", ["R1", "R2"], 2) == [
            ([history(1), history(2)], 3), ([], 0)]

    async def test_markers_expire_after_their_time_to_live(self, store: Store) -> None:
        command_id = uuid.uuid4()
        await store.commit([Step(C1, markers={command_id: outputs()})])
        assert (await store.applied([(C1, command_id)]))[0] is not None
        await self.expire_markers(store)
        assert await store.applied([(C1, command_id)]) == [None]

    async def test_registries_list_their_keys_sorted_and_once(self, store: Store) -> None:
        await store.commit([], [("county", "430511"), ("county", "430502")])
        await store.commit([], [("county", "430511"), ("item", "towel")])
        assert await store.registered("county") == ["430502", "430511"]
        assert await store.registered("item") == ["towel"]
        assert await store.registered("volunteer") == []

    async def test_reads_by_key_across_aggregates_and_whole(self, store: Store) -> None:
        await store.commit([
            Step(C1, rows={"areas": {"430511": area("430511"), "430511001": area("430511001")},
                           "leaders": {"L1": "T1"}}),
            Step(C2, rows={"areas": {"430502": area("430502")}, "leaders": {"L2": "T2"}}),
        ])
        assert await store.row(C1, "areas", "430511") == area("430511")
        assert await store.row(C1, "areas", "430502") is None
        assert await store.rows(C1, "areas", ["430511001", "x", "430511"]) == [
            area("430511001"), None, area("430511")]
        assert await store.rows(C1, "areas", []) == []
        assert await store.row_across([C1, C2], "leaders", "L2") == [None, "T2"]
        assert await store.row_across([], "leaders", "L2") == []
        found = await store.all_rows([C1, C2], "areas")
        assert sorted(a.code for a in found) == ["430502", "430511", "430511001"]

    async def test_rankings_page_highest_first_across_aggregates(self, store: Store) -> None:
        await store.commit([
            Step(C1, ranks={"requests": {"a": 1.0, "b": 3.0, "c": 5.0, "t1": 4.0}}),
            Step(C2, ranks={"requests": {"x": 2.0, "y": 6.0, "t2": 4.0}}),
        ])
        first = await store.ranked([C1, C2], "requests", 3)
        assert first == [(6.0, "y", C2), (5.0, "c", C1), (4.0, "t2", C2)]
        rest: list[tuple[float, str, str]] = []
        cursor = first[-1][:2]
        while page := await store.ranked([C1, C2], "requests", 2, cursor):
            rest += page
            cursor = page[-1][:2]
        assert [m for _, m, _ in first + rest] == ["y", "c", "t2", "t1", "b", "x", "a"]

    async def test_a_ranking_forgets_what_left_it_and_moves_what_moved(
        self, store: Store
    ) -> None:
        await store.commit([Step(C1, ranks={"status:a": {"R1": 1.0, "R2": 2.0}})])
        await store.commit([Step(C1, ranks={"status:a": {"R1": None, "R2": 0.5},
                                             "status:b": {"R1": 1.0}})])
        assert await store.ranked([C1], "status:a", 10) == [(0.5, "R2", C1)]
        assert await store.ranked([C1], "status:b", 10) == [(1.0, "R1", C1)]
        assert await store.ranked([C1], "nothing", 10) == []

    async def test_the_live_snapshot_is_kept_and_waited_for(self, store: Store) -> None:
        assert await store.live() is None
        await store.save_live({"": snapshot(3)}, NOW)
        assert await store.live() == snapshot(3)
        await store.live_saved(2, 5.0)  # already past: returns at once
        waiting = asyncio.create_task(store.live_saved(3, 10.0))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        await store.save_live({"": snapshot(4)}, NOW)
        await asyncio.wait_for(waiting, 5.0)
        started = asyncio.get_running_loop().time()
        await store.live_saved(4, 0.3)
        assert asyncio.get_running_loop().time() - started >= 0.25

    async def test_each_scope_has_its_board_as_of_the_latest_save(self, store: Store) -> None:
        later = NOW + timedelta(seconds=5)
        await store.save_live({"": snapshot(3), "430511": snapshot(2)}, NOW)
        await store.save_live({"": snapshot(4)}, later)
        county = await store.live("430511")
        assert county is not None and (county.position, county.generated_at) == (2, later)
        assert (await store.live(None)) == snapshot(4).model_copy(
            update={"generated_at": later})
        assert await store.live("430511001") is None
        waiting = asyncio.create_task(store.live_saved(2, 10.0, "430511"))
        await store.save_live({"": snapshot(5)}, later)
        await asyncio.sleep(0.3)
        assert not waiting.done(), "another board's save does not move this one"
        await store.save_live({"430511": snapshot(5)}, later)
        await asyncio.wait_for(waiting, 5.0)

    async def test_inboxes_keep_the_newest_once_each(self, store: Store) -> None:
        await store.notify([note("V1", n) for n in range(5)] + [note("V2", 9)], keep=3)
        await store.notify([note("V1", 4), note("V1", 5)], keep=3)
        assert [n.notification_id.int for n in await store.inbox("V1", 10)] == [5, 4, 3]
        assert [n.notification_id.int for n in await store.inbox("V1", 1)] == [5]
        assert [n.notification_id.int for n in await store.inbox("V2", 10)] == [9]
        assert await store.inbox("V3", 10) == []

    async def test_drop_all_leaves_nothing(self, store: Store) -> None:
        command_id = uuid.uuid4()
        await store.commit([Step(C1, rows={"areas": {"430511": area("430511")}},
                                 appends={"history": {"R1": [history(1)]}},
                                 ranks={"requests": {"R1": 1.0}},
                                 markers={command_id: outputs()})], [("county", "430511")])
        await store.save_live({"": snapshot(1), "430511": snapshot(1)}, NOW)
        await store.notify([note("V1", 1)], keep=3)
        assert await store.drop_all() > 0
        assert await store.load([C1], ["areas"]) == [{"areas": {}}]
        assert await store.applied([(C1, command_id)]) == [None]
        assert await store.journals(C1, "history", ["R1"], 5) == [([], 0)]
        assert await store.ranked([C1], "requests", 5) == []
        assert await store.registered("county") == []
        assert await store.live() is None and await store.live("430511") is None
        assert await store.inbox("V1", 5) == []


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> MemoryStore:
        self.clock = FakeClock()
        return MemoryStore(marker_ttl_s=60, monotonic=self.clock)

    async def expire_markers(self, store: Store) -> None:
        self.clock.now += 61

    def test_markers_are_kept_to_a_bound_oldest_dropped_first(self) -> None:
        store = MemoryStore(marker_ttl_s=60, markers_max=2)
        ids = [uuid.uuid4() for _ in range(3)]

        async def run() -> list[Any]:
            for command_id in ids:
                await store.commit([Step(C1, markers={command_id: outputs()})])
            return await store.applied([(C1, i) for i in ids])

        found = asyncio.run(run())
        assert [f is not None for f in found] == [False, True, True]


@pytest.mark.redis
class TestRedisStore(StoreContract):
    @pytest.fixture
    async def store(self, redis_service: Services) -> AsyncIterator[RedisStore]:
        redis = Redis.from_url(redis_service.redis_url)
        store = RedisStore(redis, f"contract{uuid.uuid4().hex[:10]}", marker_ttl_s=1)
        yield store
        await store.drop_all()
        await redis.aclose()

    async def expire_markers(self, store: Store) -> None:
        await asyncio.sleep(2.1)
