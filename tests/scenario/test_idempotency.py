"""Retrying a command with the same Idempotency-Key returns the first answer and changes
nothing more; the same key with a different body is refused; no key means a new command."""

from __future__ import annotations

import asyncio

from harness import Platform, eventually, make_district
from journeys import balance_reaches, served

from schemas.common import Role


async def test_a_retried_order_is_one_order(platform: Platform) -> None:
    district = await make_district(platform)
    resident = platform.as_(Role.RESIDENT, "R-retry")
    body = {"service_type": "groceries", "area": district.hamlet, "address": "1栋"}
    first = await resident.post("/api/v1/requests", body, key="order-1")
    again = await asyncio.gather(*(resident.post("/api/v1/requests", body, key="order-1")
                                   for _ in range(5)))
    assert first.status == 201
    assert {(r.status, r.body["request_id"]) for r in again} == {(201, first.body["request_id"])}
    mine = await resident.get("/api/v1/requests")
    assert [r["request_id"] for r in mine.body["requests"]] == [first.body["request_id"]]
    tasks = await platform.as_(Role.LEADER, district.teams["hamlet"].leader_id).get(
        "/api/v1/tasks")
    assert tasks.body["team"]["load"] == 1

    changed = await resident.post("/api/v1/requests", {**body, "address": "2栋"}, key="order-1")
    assert (changed.status, changed.error_code) == (422, "idempotency_key_reused")
    other = await resident.post("/api/v1/requests", body)
    assert other.body["request_id"] != first.body["request_id"]


async def test_a_retried_refusal_is_the_same_refusal(platform: Platform) -> None:
    district = await make_district(platform)
    staff = district.staff
    body = {"code": district.county, "name": "重复"}
    r1 = await staff.post("/api/v1/areas", body, key="area-again")
    r2 = await staff.post("/api/v1/areas", body, key="area-again")
    assert (r1.status, r1.error_code) == (r2.status, r2.error_code) == (409, "area_exists")


async def test_a_retried_redemption_redeems_once_and_gives_the_same_code(
    platform: Platform,
) -> None:
    district = await make_district(platform)
    volunteer = district.teams["hamlet"].volunteers[0]
    await served(platform, district, "R-idem", [(volunteer, 6)])
    await balance_reaches(platform, volunteer, 6)
    item = f"mug-{district.county}"
    await district.staff.post("/api/v1/catalog",
                              {"item_id": item, "name": "杯子", "points": 4, "stock": 10})
    me = platform.as_(Role.VOLUNTEER, volunteer)
    c1 = await me.post(f"/api/v1/volunteers/{volunteer}/redeem-code", key="code-1")
    c2 = await me.post(f"/api/v1/volunteers/{volunteer}/redeem-code", key="code-1")
    assert c1.body == c2.body
    kiosk = platform.as_(Role.KIOSK, "K-idem")
    body = {"volunteer_id": volunteer, "item_id": item, "code": c1.body["code"]}
    replies = [await kiosk.post("/api/v1/redemptions", body, key="redeem-1") for _ in range(3)]
    assert {r.status for r in replies} == {201}
    assert len({r.body["redemption_id"] for r in replies}) == 1
    account = await balance_reaches(platform, volunteer, 2)
    assert [e["kind"] for e in account["entries"]] == ["redemption", "credit"]
    stock = {i["item_id"]: i["stock"] for i in
             (await kiosk.get("/api/v1/catalog")).body["items"]}[item]
    assert stock == 9


async def test_a_retry_gets_the_first_answer_even_when_the_world_moved_on(
    platform: Platform,
) -> None:
    district = await make_district(platform)
    staff = district.staff
    body = {"volunteer_id": f"V{district.county}-new", "name": "新志愿者",
            "team_id": district.teams["town"].team_id}
    first = await staff.post("/api/v1/volunteers", body, key="join-1")
    again = await staff.post("/api/v1/volunteers", body, key="join-1")
    assert (first.status, again.status) == (201, 201) and first.body == again.body

    resident = platform.as_(Role.RESIDENT, "R-moved")
    made = await resident.post("/api/v1/requests", {
        "service_type": "groceries", "area": district.hamlet, "address": "1栋"})
    hamlet = platform.as_(Role.LEADER, district.teams["hamlet"].leader_id)
    path = f"/api/v1/requests/{made.body['request_id']}/decline"
    declined = await hamlet.post(path, {"reason": "忙"}, key="decline-1")
    retried = await hamlet.post(path, {"reason": "忙"}, key="decline-1")
    assert declined.status == retried.status == 200
    assert declined.body == retried.body, "not 403, though the request has left this team"


async def test_one_key_with_two_bodies_at_the_same_moment_is_one_201_and_one_422(
    platform: Platform,
) -> None:
    district = await make_district(platform)
    outcomes = []
    for n in range(20):
        resident = platform.as_(Role.RESIDENT, f"R-race-{n}")
        bodies = [{"service_type": "groceries", "area": district.hamlet, "address": f"{n}-{b}栋"}
                  for b in ("A", "B")]
        replies = await asyncio.gather(*(resident.post("/api/v1/requests", body,
                                                       key=f"race-{n}") for body in bodies))
        outcomes.append(sorted((r.status, r.error_code) for r in replies))
        mine = await resident.get("/api/v1/requests")
        assert len(mine.body["requests"]) == 1
    assert outcomes == [[(201, None), (422, "idempotency_key_reused")]] * 20


async def test_one_key_for_two_volunteers_redeems_for_one_and_refuses_the_other(
    platform: Platform,
) -> None:
    district = await make_district(platform)
    first, second = district.teams["hamlet"].volunteers[:2]
    await served(platform, district, "R-race2", [(first, 4), (second, 4)])
    for volunteer in (first, second):
        await balance_reaches(platform, volunteer, 4)
    item = f"cup-{district.county}"
    await district.staff.post("/api/v1/catalog",
                              {"item_id": item, "name": "杯子", "points": 3, "stock": 10})
    codes = {}
    for volunteer in (first, second):
        reply = await platform.as_(Role.VOLUNTEER, volunteer).post(
            f"/api/v1/volunteers/{volunteer}/redeem-code")
        codes[volunteer] = reply.body["code"]
    kiosk = platform.as_(Role.KIOSK, "K-race")
    replies = await asyncio.gather(*(kiosk.post(
        "/api/v1/redemptions", {"volunteer_id": v, "item_id": item, "code": codes[v]},
        key="same-kiosk-key") for v in (first, second)))
    assert sorted((r.status, r.error_code) for r in replies) == [
        (201, None), (422, "idempotency_key_reused")]
    staff = district.staff

    async def balances() -> list[int] | None:
        found = sorted([(await staff.get(f"/api/v1/volunteers/{v}/points")).body["balance"]
                        for v in (first, second)])
        return found if found == [1, 4] else None

    assert await eventually(balances) == [1, 4], "one was charged, the other not at all"


async def test_a_command_the_gateway_refused_leaves_no_trace_of_its_key(
    platform: Platform,
) -> None:
    district = await make_district(platform)
    staff = district.staff
    body = {"volunteer_id": f"V{district.county}-late", "name": "迟到", "team_id": "T-none"}
    refused = await staff.post("/api/v1/volunteers", body, key="fix-and-retry")
    assert (refused.status, refused.error_code) == (422, "unknown_team")
    fixed = await staff.post("/api/v1/volunteers",
                             {**body, "team_id": district.teams["town"].team_id},
                             key="fix-and-retry")
    assert fixed.status == 201
