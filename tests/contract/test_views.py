"""The gateway's read models (`gateway.ports.Views`, implemented once in `runtime.views`):
one suite, run over every store backend — memory and a real Redis.

Proves, for each backend: after the same commands, decided by the real owners in the real host,
every view answers the same — the area tree, teams and their leaders, volunteers by team, a
request with its history, a resident's requests, the office's pages of requests by status and
within an area (a scope), teams and areas within an area, a team's tasks, a volunteer's ledger
newest first, the catalog and its stock, a county's activities by area and by volunteer, its
wishes by area, by resident and by claimer.
How: a `Rig` (the hosts of every owner on the store, follow-ups and credits relayed in
memory) takes a small district through an order's whole life, a redemption, two
activities' sign-ups and three wishes (one claimed), then each view is asked, with expected
answers written out once for both backends. Then the rig's log is folded into a fresh store
by the replay of start-up and rebuild, and every view must answer exactly as before.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis
from rig import Rig
from services import Services
from unit.builders import (
    COUNTY,
    HAMLET_A1A,
    TOWN_A,
    TOWN_B,
    VILLAGE_A1,
    VILLAGE_B1,
    accept,
    change_team,
    change_volunteer,
    complete,
    issue_code,
    leader,
    redeem,
    register_area,
    register_team,
    register_volunteer,
    resident,
    review,
    rid,
    stock_item,
    submit,
)

from households.rules import month_of
from runtime.embedded import owners_of
from runtime.memory_store import MemoryStore
from runtime.ports import Store
from runtime.redis_store import RedisStore
from runtime.replay import Replay
from runtime.views import StoreViews
from schemas import activities as act
from schemas import commands as cmd
from schemas import households as h
from schemas import wishes as w
from schemas.base import Actor
from schemas.common import RequestStatus, Role, ServiceType
from schemas.topics import Topic, topic_of

NOW = datetime.now(UTC)


async def district(rig: Rig) -> None:
    """One county: five areas, a team of two volunteers, three orders (one served), a
    fourth in another town that no team serves, a gift, and a redemption."""
    for code in (COUNTY, TOWN_A, VILLAGE_A1, HAMLET_A1A, TOWN_B):
        await rig.send(register_area(code, name=f"地{code}", at=NOW))
    await rig.send(register_team("T1", [TOWN_A], capacity=5, at=NOW))
    for v in ("V2", "V1"):
        await rig.send(register_volunteer(v, "T1", at=NOW))
    for n in (1, 2, 3):
        await rig.send(submit(rid(n), HAMLET_A1A, ServiceType.GROCERIES, at=NOW))
    await rig.send(submit(rid(4), TOWN_B, ServiceType.CLEANING, by=resident("R002"), at=NOW))
    await rig.send(accept(rid(1), leader("L-T1"), at=NOW))
    await rig.send(complete(rid(1), leader("L-T1"), {"V1": 3.0, "V2": 1.5}, at=NOW))
    await rig.send(review(rid(1), at=NOW))
    await rig.send(stock_item("towel", points=2, stock=3, at=NOW))
    await rig.send(issue_code("V1", "55555555", at=NOW))
    outcome = await rig.send(redeem("V1", "towel", 2, plain="55555555", at=NOW))
    assert outcome is not None and outcome.ok, outcome
    await roster(rig)
    await activities(rig)
    await wishes(rig)
    await households(rig)
    await review_rules(rig)


async def review_rules(rig: Rig) -> None:
    """Two review rules of the county, set after its orders: the village's groceries are
    reviewed within an hour, the other town's orders are not."""
    staff = Actor(role=Role.STAFF, subject="S1")
    for area, kind, required, sla_s in ((VILLAGE_A1, ServiceType.GROCERIES, True, 3600),
                                        (TOWN_B, None, False, None)):
        command_id = uuid.uuid4()
        outcome = await rig.send(cmd.SetReviewRule(
            command_id=command_id, occurred_at=NOW, correlation_id=command_id, actor=staff,
            area=area, service_type=kind, required=required, sla_s=sla_s))
        assert outcome is not None and outcome.ok, outcome


def activity_command(kind: type[act.ActivityCommand], actor: Actor, **fields: Any
                     ) -> act.ActivityCommand:
    command_id = uuid.uuid4()
    return kind(command_id=command_id, occurred_at=NOW, correlation_id=command_id,
                actor=actor, county=COUNTY, **fields)


async def activities(rig: Rig) -> None:
    """Two activities, one in the village with a slot taken and one on the waiting list,
    one in the other town starting later."""
    staff = Actor(role=Role.STAFF, subject="S1")
    for activity_id, area, hours in (("A1", VILLAGE_A1, 1), ("A2", TOWN_B, 3)):
        outcome = await rig.send(activity_command(
            act.PublishActivity, staff, activity_id=activity_id, title="文明劝导",
            service_type=ServiceType.CIVILITY, area=area, starts_at=NOW + timedelta(hours=hours),
            ends_at=NOW + timedelta(hours=hours + 2), slots=1))
        assert outcome is not None and outcome.ok, outcome
    for v in ("V1", "V2"):
        volunteer = Actor(role=Role.VOLUNTEER, subject=v)
        outcome = await rig.send(activity_command(act.SignUp, volunteer, activity_id="A1",
                                                  volunteer_id=v))
        assert outcome is not None and outcome.ok, outcome


async def wishes(rig: Rig) -> None:
    """Three wishes, posted one after the other: two of R001 (in the village and its
    hamlet), one of R002 in the other town; V1 claims the first."""
    for wish_id, area, person in (("W1", VILLAGE_A1, "R001"), ("W2", TOWN_B, "R002"),
                                  ("W3", HAMLET_A1A, "R001")):
        command_id = uuid.uuid4()
        outcome = await rig.send(w.PostWish(
            command_id=command_id, occurred_at=NOW, correlation_id=command_id,
            actor=resident(person), county=COUNTY, wish_id=wish_id, area=area,
            resident_id=person, title="pd1.sealed"))
        assert outcome is not None and outcome.ok, outcome
    command_id = uuid.uuid4()
    outcome = await rig.send(w.ClaimWish(
        command_id=command_id, occurred_at=NOW, correlation_id=command_id,
        actor=Actor(role=Role.VOLUNTEER, subject="V1"), county=COUNTY, wish_id="W1",
        volunteer_id="V1"))
    assert outcome is not None and outcome.ok, outcome


async def households(rig: Rig) -> None:
    """Two households of the village and one of the other town, a rule of the village, a
    month's scoring of the first household, and a good on a kiosk's shelf."""
    staff = Actor(role=Role.STAFF, subject="S1")

    async def sent(kind: type[h.HouseholdCommand], **fields: Any) -> None:
        command_id = uuid.uuid4()
        outcome = await rig.send(kind(command_id=command_id, occurred_at=NOW,
                                      correlation_id=command_id, actor=staff, county=COUNTY,
                                      **fields))
        assert outcome is not None and outcome.ok, outcome

    for household_id, area in (("H1", VILLAGE_A1), ("H2", HAMLET_A1A), ("H3", TOWN_B)):
        await sent(h.RegisterHousehold, household_id=household_id, area=area,
                   head_name="pd1.sealed")
    await sent(h.SetCivicRule, rule_id="hygiene", area=VILLAGE_A1, name="庭院整洁",
               points_max=10)
    await sent(h.ScoreHousehold, household_id="H1", month=month_of(NOW),
               items=(h.ScoreItem(rule_id="hygiene", points=7, reason="pd1.why"),))
    await sent(h.StockCivicItem, item_id="oil", kiosk_id="K1", area=VILLAGE_A1, name="菜籽油",
               points=5, stock=2)


async def roster(rig: Rig) -> None:
    """A second team based in the village; a deputy named and replaced; a volunteer moved."""
    await rig.send(register_team("T2", [VILLAGE_A1], capacity=1, at=NOW))
    for v in ("V3", "V4"):
        await rig.send(register_volunteer(v, "T2", at=NOW))
    for deputy in ("D1", "D2"):
        outcome = await rig.send(change_team("T1", deputies=(deputy,), at=NOW))
        assert outcome is not None and outcome.ok, outcome
    outcome = await rig.send(change_volunteer("V4", team_id="T1", at=NOW))
    assert outcome is not None and outcome.ok, outcome


class LogOfMemory:
    """A `LogReader` over what a rig's bus delivered, in order."""

    def __init__(self, log: list[Any]) -> None:
        self.log = log

    async def total(self, topics: Sequence[Topic]) -> int:
        return sum(1 for m in self.log if topic_of(m) in topics)

    async def scan(self, topics: Sequence[Topic]) -> AsyncIterator[tuple[Topic, Any]]:
        for message in self.log:
            if topic_of(message) in topics:
                yield topic_of(message), message


async def replayed(rig: Rig, store: Store) -> StoreViews:
    """A fresh store filled by folding the rig's log, as start-up and rebuild do."""
    replay = Replay(owners_of(rig.settings), None, markers=True)
    await replay.run(LogOfMemory(rig.bus.log))
    await replay.write(store)
    return StoreViews(store)


async def answers(views: StoreViews) -> list[Any]:
    """Every view of the district, as plain data."""
    one = await views.request(rid(1))
    one_team = await views.team("T1")
    assert one is not None and one_team is not None
    return [await views.areas(), await views.teams(), await views.team_volunteers("T1"),
            await views.requests_of_resident("R001", 10), await views.requests(None, 10),
            await views.requests("dispatched", 10), await views.histories([one], 100),
            await views.requests(None, 10, area=VILLAGE_A1),
            await views.requests("escalated", 10, area=TOWN_B),
            await views.tasks("T1"), await views.account("V1"), await views.entries("V1", 10),
            await views.catalog(), await views.team_history(one_team, 10),
            await views.volunteers(10), await views.volunteers(10, scope=VILLAGE_A1),
            await views.volunteers(10, team=one_team), await views.activity("A1"),
            await views.activities(None, 10), await views.activities(VILLAGE_A1, 10),
            await views.activities_of("V2", COUNTY, 10), await views.wish("W1"),
            await views.wishes(None, 10), await views.wishes(TOWN_A, 10),
            await views.wishes_of("R001", COUNTY, 10), await views.claims_of("V1", COUNTY, 10),
            await views.household("H1"), await views.households(TOWN_A, 10),
            await views.civic_rules(COUNTY), await views.civic_items(),
            await views.review_rules(COUNTY)]


class ViewsContract:
    async def test_the_directory(self, views: StoreViews) -> None:
        assert [a.code for a in await views.areas()] == [COUNTY, TOWN_A, VILLAGE_A1,
                                                          HAMLET_A1A, TOWN_B]
        assert (await views.area(VILLAGE_A1)).parent == TOWN_A  # type: ignore[union-attr]
        assert await views.area("430599") is None
        team = await views.team("T1")
        assert team is not None and team.load == 2 and team.completed == 1
        assert [t.team_id for t in await views.teams()] == ["T1", "T2"]
        assert await views.team_of_leader("L-T1") == team
        assert await views.team_of_leader("L-none") is None
        assert [v.volunteer_id for v in await views.team_volunteers("T1")] == ["V1", "V2",
                                                                               "V4"]
        assert (await views.volunteer("V2")).team_id == "T1"  # type: ignore[union-attr]
        assert await views.volunteer("V9") is None

    async def test_the_roster_its_history_and_lists(self, views: StoreViews) -> None:
        team = await views.team("T1")
        assert team is not None and team.deputies == ("D2",)
        assert await views.team_of_leader("D2") == team
        assert await views.team_of_leader("D1") is None, "a deputy replaced acts no more"
        history, total = await views.team_history(team, 10)
        assert total == 3
        assert [(h.event, h.changed.get("deputies")) for h in history] == [
            ("TeamRegistered", []), ("TeamChanged", ["D1"]), ("TeamChanged", ["D2"])]
        assert len((await views.team_history(team, 1))[0]) == 1

        def ids(found: list[Any]) -> list[str]:
            return [v.volunteer_id for v in found]

        newest_first = ["V4", "V3", "V1", "V2"]  # as registered: V2, V1, V3, V4
        assert ids(await views.volunteers(10)) == newest_first
        first = await views.volunteers(3)
        rest = await views.volunteers(3, (first[-1].rank, first[-1].volunteer_id))
        assert ids(first) + ids(rest) == newest_first
        assert ids(await views.volunteers(10, team=team)) == ["V4", "V1", "V2"]
        assert ids(await views.volunteers(10, scope=VILLAGE_A1)) == ["V3"]
        assert ids(await views.volunteers(10, scope=TOWN_A)) == newest_first
        assert ids(await views.volunteers(10, scope=HAMLET_A1A)) == []
        moved = await views.volunteer("V4")
        assert moved is not None and moved.team_id == "T1" and moved.active

    async def test_requests_their_history_and_pages(self, views: StoreViews) -> None:
        one = await views.request(rid(1))
        assert one is not None and one.status is RequestStatus.REVIEWED
        [(history, total)] = await views.histories([one], 100)
        assert [h.event for h in history] == ["RequestSubmitted", "RequestDispatched",
                                              "RequestAccepted", "RequestCompleted",
                                              "RequestReviewed", "ServiceConfirmed"]
        assert total == 6
        assert [h.event for h in (await views.histories([one], 2))[0][0]] == [
            "RequestSubmitted", "RequestDispatched"]
        mine = await views.requests_of_resident("R001", 10)
        assert {r.request_id for r in mine} == {rid(1), rid(2), rid(3)}
        dispatched = await views.requests("dispatched", 10)
        assert {r.request_id for r in dispatched} == {rid(2), rid(3)}
        page = await views.requests(None, 2)
        rest = await views.requests(None, 2, (page[-1].submitted_at.timestamp(),
                                              page[-1].request_id))
        assert len({r.request_id for r in page + rest}) == 4
        assert {r.request_id for r in await views.tasks("T1")} == {rid(2), rid(3)}

    async def test_reads_within_an_area(self, views: StoreViews) -> None:
        """A scope or a filter: the area's own rankings and its county's small collections."""
        def ids(found: Sequence[Any]) -> set[str]:
            return {r.request_id for r in found}

        assert ids(await views.requests(None, 10, area=TOWN_A)) == {rid(1), rid(2), rid(3)}
        assert ids(await views.requests(None, 10, area=COUNTY)) == {rid(n) for n in (1, 2, 3, 4)}
        assert ids(await views.requests("dispatched", 10, area=HAMLET_A1A)) == {rid(2), rid(3)}
        assert ids(await views.requests("escalated", 10, area=TOWN_B)) == {rid(4)}
        assert await views.requests(None, 10, area=VILLAGE_B1) == []
        assert await views.requests("dispatched", 10, area=TOWN_B) == []
        page = await views.requests(None, 2, area=VILLAGE_A1)
        rest = await views.requests(None, 2, (page[-1].submitted_at.timestamp(),
                                              page[-1].request_id), area=VILLAGE_A1)
        assert len(page) == 2 and ids(page + rest) == {rid(1), rid(2), rid(3)}
        assert ids(await views.requests_of_resident("R001", 10, status="reviewed")) == {rid(1)}
        assert await views.requests_of_resident("R001", 10, area=TOWN_B) == []
        assert ids(await views.requests_of_resident("R002", 10, area=COUNTY)) == {rid(4)}
        mine = await views.requests_of_resident("R001", 2)
        after = (mine[-1].submitted_at.timestamp(), mine[-1].request_id)
        assert ids(mine + await views.requests_of_resident("R001", 2, after)) == {
            rid(1), rid(2), rid(3)}
        assert [t.team_id for t in await views.teams(TOWN_A)] == ["T1", "T2"]
        assert [t.team_id for t in await views.teams(VILLAGE_A1)] == ["T2"]
        assert await views.teams(TOWN_B) == []
        assert [a.code for a in await views.areas(TOWN_A)] == [TOWN_A, VILLAGE_A1, HAMLET_A1A]
        assert await views.areas("430599") == []

    async def test_the_ledger_newest_first(self, views: StoreViews) -> None:
        account = await views.account("V1")
        assert account is not None
        assert (account.balance, account.lifetime_hours, account.entries_count) == (1, 3.0, 2)
        entries = await views.entries("V1", 10)
        assert [(e.seq, e.kind, e.points) for e in entries] == [(2, "redemption", -2),
                                                                 (1, "credit", 3)]
        assert [e.seq for e in await views.entries("V1", 10, before_seq=2)] == [1]
        assert (await views.account("V2")).balance == 2  # type: ignore[union-attr]
        assert await views.account("V9") is None

    async def test_activities_by_area_and_by_volunteer(self, views: StoreViews) -> None:
        one = await views.activity("A1")
        assert one is not None and (one.confirmed, one.waiting) == (("V1",), ("V2",))
        assert await views.activity("A9") is None

        def ids(found: Sequence[Any]) -> list[str]:
            return [a.activity_id for a in found]

        assert ids(await views.activities(None, 10)) == ["A2", "A1"], "the latest start first"
        assert ids(await views.activities(COUNTY, 10)) == ["A2", "A1"]
        assert ids(await views.activities(TOWN_A, 10)) == ["A1"]
        assert ids(await views.activities(TOWN_B, 10)) == ["A2"]
        assert await views.activities(VILLAGE_B1, 10) == []
        [first] = await views.activities(COUNTY, 1)
        after = (first.starts_at.timestamp(), first.activity_id)
        assert ids(await views.activities(COUNTY, 1, after)) == ["A1"]
        assert ids(await views.activities_of("V2", COUNTY, 10)) == ["A1"]
        assert await views.activities_of("V3", COUNTY, 10) == []

    async def test_wishes_by_area_and_by_resident(self, views: StoreViews) -> None:
        one = await views.wish("W1")
        assert one is not None and (one.status, one.claimer, one.claims) == ("claimed", "V1", 1)
        assert await views.wish("W9") is None

        def ids(found: Sequence[Any]) -> list[str]:
            return [x.wish_id for x in found]

        assert ids(await views.wishes(None, 10)) == ["W3", "W2", "W1"], "the newest first"
        assert ids(await views.wishes(COUNTY, 10)) == ["W3", "W2", "W1"]
        assert ids(await views.wishes(TOWN_A, 10)) == ["W3", "W1"]
        assert ids(await views.wishes(HAMLET_A1A, 10)) == ["W3"]
        assert await views.wishes(VILLAGE_B1, 10) == []
        [first] = await views.wishes(COUNTY, 1)
        after = (first.created_at.timestamp(), first.wish_id)
        assert ids(await views.wishes(COUNTY, 2, after)) == ["W2", "W1"]
        assert ids(await views.wishes_of("R001", COUNTY, 10)) == ["W3", "W1"]
        assert await views.wishes_of("R003", COUNTY, 10) == []
        assert ids(await views.claims_of("V1", COUNTY, 10)) == ["W1"]
        assert await views.claims_of("V2", COUNTY, 10) == []

    async def test_households_their_rules_entries_and_goods(self, views: StoreViews) -> None:
        one = await views.household("H1")
        assert one is not None and (one.balance, one.sheet) == (
            7, {f"{month_of(NOW)}|hygiene": 7})
        assert await views.household("H9") is None
        assert [x.household_id for x in await views.households(None, 10)] == ["H3", "H2",
                                                                               "H1"]
        assert [x.household_id for x in await views.households(TOWN_A, 10)] == ["H2", "H1"]
        [latest] = await views.households(COUNTY, 1)
        after = (float(latest.seq), latest.household_id)
        assert [x.household_id for x in await views.households(COUNTY, 5, after)] == [
            "H2", "H1"]
        assert await views.households(VILLAGE_B1, 10) == []
        assert [r.rule_id for r in await views.civic_rules(COUNTY)] == ["hygiene"]
        [oil] = await views.civic_items([COUNTY])
        assert (oil.kiosk_id, oil.stock) == ("K1", 2)
        entries, total = await views.civic_entries(one, 10)
        assert total == 1 and [(e.kind, e.points, e.rule_id) for e in entries] == [
            ("score", 7, "hygiene")]

    async def test_review_rules_by_area(self, views: StoreViews) -> None:
        rules = await views.review_rules(COUNTY)
        assert [(r.area, r.service_type, r.required, r.sla_s, r.set_by) for r in rules] == [
            (VILLAGE_A1, ServiceType.GROCERIES, True, 3600, "S1"),
            (TOWN_B, None, False, None, "S1")]
        assert await views.review_rules("430599") == []

    async def test_the_catalog(self, views: StoreViews) -> None:
        [towel] = await views.catalog()
        assert (towel.item_id, towel.points, towel.stock) == ("towel", 2, 2)
        assert await views.catalog_item("towel") == towel
        assert await views.catalog_item("kettle") is None


    async def test_a_replay_of_the_log_gives_every_view_again(
        self, views: StoreViews, fresh: Store, rig: Rig
    ) -> None:
        assert await answers(await replayed(rig, fresh)) == await answers(views)


class TestMemoryViews(ViewsContract):
    @pytest.fixture
    async def rig(self) -> Rig:
        rig = Rig(MemoryStore(marker_ttl_s=60))
        await district(rig)
        return rig

    @pytest.fixture
    def views(self, rig: Rig) -> StoreViews:
        return StoreViews(rig.store)

    @pytest.fixture
    def fresh(self) -> Store:
        return MemoryStore(marker_ttl_s=60)


@pytest.mark.redis
class TestRedisViews(ViewsContract):
    @pytest.fixture
    async def rig(self, redis_service: Services) -> AsyncIterator[Rig]:
        async for store in redis_store(redis_service):
            rig = Rig(store)
            await district(rig)
            yield rig

    @pytest.fixture
    def views(self, rig: Rig) -> StoreViews:
        return StoreViews(rig.store)

    @pytest.fixture
    async def fresh(self, redis_service: Services) -> AsyncIterator[Store]:
        async for store in redis_store(redis_service):
            yield store


async def redis_store(redis_service: Services) -> AsyncIterator[Store]:
    redis = Redis.from_url(redis_service.redis_url)
    store = RedisStore(redis, f"views{uuid.uuid4().hex[:10]}", marker_ttl_s=60)
    yield store
    await store.drop_all()
    await redis.aclose()

