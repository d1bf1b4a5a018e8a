"""Care plans through HTTP (DESIGN §11): a plan's visits created by the platform, the plan's
team preferred, a visit done, a visit missed opening a case, who qualifies, and the visits
report and the board.

How: a district per test on a platform started as real processes. A resident living alone,
born in 1940, is suggested a weekly plan until staff give her one; a second plan of the same
type is refused (409 already_planned), an unknown team too (422). On a brisk platform
(periods of four seconds) the first visit is a request of hers at once, marked proactive
with the plan's id and dispatched to the plan's team (the county's, though the town's team
is more local); its leader completes it and the plan counts it done; the next period's
visit nobody serves is missed when its period ends, and a missed_visit case opens for the
plan. The visits report and the board count planned, done and missed.
"""

from __future__ import annotations

from typing import Any

from harness import District, Platform, eventually, make_district

from schemas.common import Role


async def elder(district: District) -> str:
    resident_id = f"R{district.county}-care"
    made = await district.staff.post("/api/v1/residents", {
        "resident_id": resident_id, "name": "孙桂兰", "area": district.hamlet,
        "address": "3栋1单元101", "birth_year": 1940, "tags": ["living_alone"]})
    assert made.status == 201, made.body
    return resident_id


async def test_policy_finds_the_person_and_a_plan_is_given_once(platform: Platform) -> None:
    district = await make_district(platform)
    resident_id = await elder(district)
    staff = platform.as_(Role.STAFF, "S-care", scope=district.county)
    found = (await staff.get("/api/v1/care-plans/suggestions")).body["suggestions"]
    [mine] = [s for s in found if s["resident_id"] == resident_id]
    assert (mine["cadence"], mine["service_type"], mine["resident_name"]) == (
        "week", "health_check", "孙桂兰")
    unknown = await staff.post("/api/v1/care-plans", {
        "plan_id": f"P{district.county}-x", "resident_id": resident_id,
        "service_type": "health_check", "cadence": "week", "team_id": "T-none"})
    assert (unknown.status, unknown.error_code) == (422, "unknown_team")
    made = await staff.post("/api/v1/care-plans", {
        "plan_id": f"P{district.county}-1", "resident_id": resident_id,
        "service_type": "health_check", "cadence": "week", "notes": "膝盖不好，上楼慢"})
    assert made.status == 201, made.body
    assert (made.body["status"], made.body["planned"], made.body["notes"]) == (
        "active", 1, "膝盖不好，上楼慢")
    twin = await staff.post("/api/v1/care-plans", {
        "plan_id": f"P{district.county}-2", "resident_id": resident_id,
        "service_type": "health_check", "cadence": "month"})
    assert (twin.status, twin.error_code) == (409, "already_planned")
    again = (await staff.get("/api/v1/care-plans/suggestions")).body["suggestions"]
    assert resident_id not in {s["resident_id"] for s in again}
    path = f"/api/v1/care-plans/{made.body['plan_id']}"
    far = platform.as_(Role.STAFF, "S-far", scope=district.far_village)
    assert (await far.get(path)).status == 404
    ended = await staff.post(path + "/end", {"reason": "已入住养老院"})
    assert (ended.status, ended.body["status"]) == (200, "ended"), ended.body
    twice = await staff.post(path + "/end", {"reason": "再结束"})
    assert (twice.status, twice.error_code) == (409, "plan_ended")
    listed = (await staff.get("/api/v1/care-plans?status=ended")).body["plans"]
    assert made.body["plan_id"] in {p["plan_id"] for p in listed}


async def test_visits_fall_due_by_themselves_are_done_or_missed(
        brisk_platform: Platform) -> None:
    platform = brisk_platform
    district = await make_district(platform)
    resident_id = await elder(district)
    staff = platform.as_(Role.STAFF, "S-care", scope=district.county)
    county_team = district.teams["county"]
    plan_id = f"P{district.county}-visits"
    made = await staff.post("/api/v1/care-plans", {
        "plan_id": plan_id, "resident_id": resident_id, "service_type": "companionship",
        "cadence": "week", "team_id": county_team.team_id})
    assert made.status == 201, made.body
    resident = platform.as_(Role.RESIDENT, resident_id)

    async def visit() -> dict[str, Any] | None:
        found = (await resident.get("/api/v1/requests")).body["requests"]
        return next((r for r in found if r["plan_id"] == plan_id), None)

    first = await eventually(visit)
    assert (first["proactive"], first["service_type"], first["team_id"]) == (
        True, "companionship", county_team.team_id), "the plan's team, not the town's"
    leader = platform.as_(Role.LEADER, county_team.leader_id)
    path = f"/api/v1/requests/{first['request_id']}"
    assert (await leader.post(path + "/accept")).status == 200
    done = await leader.post(path + "/complete", {"volunteers": [
        {"volunteer_id": county_team.volunteers[0], "hours": 1}]})
    assert done.status == 200, done.body

    async def missed() -> dict[str, Any] | None:
        plan: dict[str, Any] = (await staff.get(f"/api/v1/care-plans/{plan_id}")).body
        return plan if plan["done"] >= 1 and plan["missed"] >= 1 else None

    plan = await eventually(missed, timeout_s=30)
    statuses = {v["period"]: v["status"] for v in plan["visits"]}
    assert (statuses[0], statuses[1]) == ("done", "missed"), plan["visits"]

    async def case() -> list[dict[str, Any]] | None:
        found = (await staff.get("/api/v1/cases?kind=missed_visit")).body["cases"]
        return [c for c in found if c["plan_id"] == plan_id] or None

    [opened] = (await eventually(case))[:1]
    assert (opened["resident_id"], opened["area"]) == (resident_id, district.hamlet)
    report = (await staff.get(f"/api/v1/reports/visits?area={district.county}")).body
    [town] = [r for r in report["rows"] if r["area"] == district.town]
    assert town["done"] == 1 and town["missed"] >= 1, town
    assert town["planned"] == town["done"] + town["missed"] + town["open"]

    async def counted() -> dict[str, Any] | None:
        board: dict[str, Any] = (await staff.get("/api/v1/live")).body
        visits = board["programmes"]["visits"]
        return visits if visits["done"] >= 1 and visits["missed"] >= 1 else None

    await eventually(counted)
    ended = await staff.post(f"/api/v1/care-plans/{plan_id}/end", {"reason": "测试结束"})
    assert ended.status == 200, "no visit falls due after its end"


async def test_a_visit_called_off_is_missed_at_once_and_opens_a_case(
        platform: Platform) -> None:
    district = await make_district(platform)
    resident_id = await elder(district)
    staff = platform.as_(Role.STAFF, "S-care", scope=district.county)
    plan_id = f"P{district.county}-off"
    made = await staff.post("/api/v1/care-plans", {
        "plan_id": plan_id, "resident_id": resident_id, "service_type": "companionship",
        "cadence": "month"})
    assert made.status == 201, made.body
    resident = platform.as_(Role.RESIDENT, resident_id)

    async def visit() -> dict[str, Any] | None:
        found = (await resident.get("/api/v1/requests")).body["requests"]
        return next((r for r in found if r["plan_id"] == plan_id), None)

    first = await eventually(visit)
    cancelled = await resident.post(f"/api/v1/requests/{first['request_id']}/cancel",
                                    {"reason": "这周住院了"})
    assert cancelled.status == 200, cancelled.body

    async def missed() -> dict[str, Any] | None:
        plan: dict[str, Any] = (await staff.get(f"/api/v1/care-plans/{plan_id}")).body
        return plan if plan["missed"] == 1 else None

    plan = await eventually(missed)
    assert (plan["done"], plan["visits"][0]["status"]) == (0, "missed")

    async def case() -> list[dict[str, Any]] | None:
        found = (await staff.get("/api/v1/cases?kind=missed_visit")).body["cases"]
        return [c for c in found if c["plan_id"] == plan_id] or None

    [opened] = await eventually(case)
    assert opened["request_id"] == first["request_id"]
