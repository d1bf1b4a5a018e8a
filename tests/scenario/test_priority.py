"""Priority for vulnerable residents (DESIGN §11) in both modes, through HTTP: the tier comes
from the resident's profile (never from the client), requests and the leader's inbox show
it, and when the only team frees up it takes a tier-1 resident's order before an earlier
tier-3 one.

How: a team of its own (capacity 1, the only one offering `other`) is kept busy by a first
order; a tier-3 resident orders, then an 85-year-old orders herself; staff cancel the first
order and the freed team must take the old resident's, while the earlier one still waits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from harness import District, Platform, eventually, make_district

from schemas.common import Role

CHINA = ZoneInfo("Asia/Shanghai")


async def resident(district: District, resident_id: str, **profile: object) -> str:
    made = await district.staff.post("/api/v1/residents", {
        "resident_id": resident_id, "name": "居民", "area": district.far_village,
        "address": "3栋", **profile})
    assert made.status == 201, made.body
    return resident_id


async def scarce_team(district: District) -> str:
    team_id, leader_id = f"T{district.county}-scarce", f"L{district.county}-scarce"
    made = await district.staff.post("/api/v1/teams", {
        "team_id": team_id, "name": "独苗队", "leader_id": leader_id,
        "service_types": ["other"], "areas": [district.far_village], "capacity": 1})
    assert made.status == 201, made.body
    return leader_id


async def test_a_tier_one_order_goes_before_an_earlier_tier_three_one(
        platform: Platform) -> None:
    district = await make_district(platform)
    leader_id = await scarce_team(district)
    year = datetime.now(UTC).astimezone(CHINA).year
    young = await resident(district, f"R{district.county}-young", birth_year=year - 40)
    old = await resident(district, f"R{district.county}-old", birth_year=year - 85)
    order = {"service_type": "other", "area": district.far_village, "address": "3栋"}

    first = await district.staff.post("/api/v1/requests", {**order, "resident_id": young})
    assert first.status == 201 and first.body["status"] == "dispatched", first.body
    earlier = await district.staff.post("/api/v1/requests", {
        **order, "resident_id": young, "channel": "counter"})
    assert earlier.body["status"] == "submitted", earlier.body
    mine = platform.as_(Role.RESIDENT, old)
    typed = await mine.post("/api/v1/requests", {**order, "priority": 3})
    assert typed.status == 422, typed.body
    later = await mine.post("/api/v1/requests", order)
    assert later.body["status"] == "submitted", later.body
    seen = await mine.get(f"/api/v1/requests/{later.body['request_id']}")
    assert seen.body["priority"] == 1
    waiting = await district.staff.get(f"/api/v1/requests/{earlier.body['request_id']}")
    assert waiting.body["priority"] == 3

    cancelled = await district.staff.post(
        f"/api/v1/requests/{first.body['request_id']}/cancel", {"reason": "重复"})
    assert cancelled.body["status"] == "cancelled", cancelled.body

    async def taken() -> dict[str, object] | None:
        body = (await district.staff.get(f"/api/v1/requests/{later.body['request_id']}")).body
        return body if body["status"] == "dispatched" else None

    await eventually(taken)
    still = await district.staff.get(f"/api/v1/requests/{earlier.body['request_id']}")
    assert still.body["status"] == "submitted"
    inbox = await platform.as_(Role.LEADER, leader_id).get("/api/v1/tasks")
    assert [(t["request_id"], t["priority"]) for t in inbox.body["tasks"]] == [
        (later.body["request_id"], 1)]


async def test_tags_give_the_tier_of_an_order_staff_enter(platform: Platform) -> None:
    district = await make_district(platform)
    alone = await resident(district, f"R{district.county}-alone", tags=["living_alone"])
    poor = await resident(district, f"R{district.county}-poor", tags=["low_income"])
    order = {"service_type": "groceries", "area": district.far_village, "address": "3栋"}
    for resident_id, tier in ((alone, 1), (poor, 2)):
        made = await district.staff.post("/api/v1/requests", {**order,
                                                              "resident_id": resident_id})
        seen = await district.staff.get(f"/api/v1/requests/{made.body['request_id']}")
        assert seen.body["priority"] == tier
    nobody = await platform.as_(Role.RESIDENT, f"R{district.county}-none").post(
        "/api/v1/requests", order)
    seen = await district.staff.get(f"/api/v1/requests/{nobody.body['request_id']}")
    assert seen.body["priority"] == 3
