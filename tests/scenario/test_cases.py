"""Cases of the "can't get it done" window through HTTP (DESIGN §11): open, own, step,
close, escalate, and the cases the platform opens by itself.

How: a district per test on a platform started as real processes. A village gets staff (an
account with the village's scope makes it an office), so a resident's complaint in one of
its hamlets is owned by the village, due in five working days; the village's staff and the
county's record steps, another village's staff neither see nor act on it (404), the
resident follows it and cannot act on it; closing before the deadline counts on time and
the board counts open and closed cases. On a brisk platform (deadlines of two seconds) a
case nobody closes moves from the village to the county (no town office) with a new
deadline, then stays at the county, overdue; a request no team can serve opens a stalled
case of its own, once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from harness import Client, District, Platform, eventually, make_district

from schemas.common import Role


async def resident_of(district: District) -> str:
    resident_id = f"R{district.county}-case"
    made = await district.staff.post("/api/v1/residents", {
        "resident_id": resident_id, "name": "刘冬梅", "area": district.hamlet,
        "address": "6栋1单元"})
    assert made.status == 201, made.body
    return resident_id


async def village_office(platform: Platform, district: District) -> Client:
    made = await district.staff.post("/api/v1/staff", {
        "staff_id": f"S{district.county}-v", "name": "村干部",
        "phone": f"139{district.county}01", "scope": district.village})
    assert made.status == 201, made.body
    return platform.as_(Role.STAFF, f"S{district.county}-v", scope=district.village)


async def opened(client: Client, district: District, **extra: Any) -> dict[str, Any]:
    reply = await client.post("/api/v1/cases", {
        "subject": "低保申请三个月没有回音", "details": "材料交到社区后一直没有消息",
        "area": district.hamlet, **extra})
    assert reply.status == 201, reply.body
    body: dict[str, Any] = reply.body
    return body


async def test_a_complaint_is_owned_by_the_most_local_office_worked_and_closed_on_time(
        platform: Platform) -> None:
    district = await make_district(platform)
    resident_id = await resident_of(district)
    village = await village_office(platform, district)
    resident = platform.as_(Role.RESIDENT, resident_id)

    async def first() -> dict[str, Any] | None:
        case = await opened(resident, district)
        return case if case["owner_scope"] == district.village else None

    case = await eventually(first)
    assert (case["status"], case["kind"], case["resident_name"], case["subject"],
            case["can_act"]) == ("open", "complaint", "刘冬梅", "低保申请三个月没有回音", False)
    due = datetime.fromisoformat(case["due_at"])
    assert due - datetime.fromisoformat(case["opened_at"]) >= timedelta(days=5)
    path = f"/api/v1/cases/{case['case_id']}"

    assert (await village.get(path)).body["can_act"] is True
    for client, kind, note in ((village, "prescribe", "联系民政办核实材料"),
                               (district.staff, "act", "县民政局已受理"),
                               (village, "verify", "电话回访居民，已收到通知")):
        step = await client.post(path + "/steps", {"kind": kind, "note": note})
        assert step.status == 200, step.body
    other = platform.as_(Role.STAFF, "S-far", scope=district.far_village)
    assert (await other.get(path)).status == 404
    assert (await other.post(path + "/steps", {"kind": "note", "note": "x"})).status == 404
    refused = await resident.post(path + "/steps", {"kind": "note", "note": "x"})
    assert refused.status == 403
    seen = (await resident.get(path)).body
    assert [s["kind"] for s in seen["steps"]] == ["prescribe", "act", "verify"]
    assert seen["steps"][0]["by"] is None, "a resident does not see who of the staff"
    closed = await village.post(path + "/close", {"resolution": "低保已批准，下月发放",
                                                  "resident_satisfied": True})
    assert (closed.status, closed.body["status"], closed.body["resolution"]) == (
        200, "closed", "低保已批准，下月发放"), closed.body
    again = await village.post(path + "/close", {"resolution": "再关一次"})
    assert (again.status, again.error_code) == (409, "case_closed")
    mine = (await resident.get("/api/v1/cases")).body["cases"]
    assert [x["case_id"] for x in mine] == [case["case_id"]]
    listed = (await village.get("/api/v1/cases?status=closed")).body["cases"]
    assert case["case_id"] in {x["case_id"] for x in listed}
    wrong = await village.post("/api/v1/cases", {"subject": "x", "area": district.far_village})
    assert (wrong.status, wrong.error_code) == (403, "out_of_scope")
    not_theirs = await resident.post("/api/v1/cases", {"subject": "x", "area": district.hamlet,
                                                       "kind": "stalled"})
    assert not_theirs.status == 422

    county = platform.as_(Role.STAFF, "S-county", scope=district.county)

    async def counted() -> dict[str, Any] | None:
        board: dict[str, Any] = (await county.get("/api/v1/live")).body
        cases = board["programmes"]["cases"]
        return cases if cases["closed"] >= 1 else None

    cases = await eventually(counted)
    assert cases["closed_on_time"] == cases["closed"]


async def test_a_passed_deadline_moves_a_case_up_and_the_county_keeps_it_overdue(
        brisk_platform: Platform) -> None:
    platform = brisk_platform
    district = await make_district(platform)
    village = await village_office(platform, district)

    async def owned() -> dict[str, Any] | None:
        case = await opened(village, district)
        return case if case["owner_scope"] == district.village else None

    case = await eventually(owned)
    path = f"/api/v1/cases/{case['case_id']}"

    async def moved() -> dict[str, Any] | None:
        body: dict[str, Any] = (await village.get(path)).body
        return body if body["escalations"] >= 1 else None

    up = await eventually(moved)
    assert (up["owner_scope"], up["overdue"], up["can_act"]) == (
        district.county, True, False), "no town office: the county takes it"
    refused = await village.post(path + "/steps", {"kind": "note", "note": "还在办"})
    assert (refused.status, refused.error_code) == (403, "not_owner")
    assert (await district.staff.post(path + "/steps", {"kind": "note",
                                                        "note": "县里督办"})).status == 200
    late = (await village.get("/api/v1/cases?overdue=true")).body["cases"]
    assert case["case_id"] in {x["case_id"] for x in late}
    closed = await district.staff.post(path + "/close", {"resolution": "已督办解决"})
    assert closed.status == 200, closed.body

    county = platform.as_(Role.STAFF, "S-county", scope=district.county)

    async def counted() -> dict[str, Any] | None:
        board: dict[str, Any] = (await county.get("/api/v1/live")).body
        cases = board["programmes"]["cases"]
        return cases if cases["closed"] >= 1 else None

    cases = await eventually(counted)
    assert cases["closed_on_time"] == 0


async def test_a_request_no_team_can_serve_opens_a_stalled_case(platform: Platform) -> None:
    district = await make_district(platform)
    resident_id = await resident_of(district)
    made = await platform.as_(Role.RESIDENT, resident_id).post("/api/v1/requests", {
        "service_type": "other", "area": district.hamlet, "address": "6栋1单元",
        "details": "想找人帮忙写家书"})
    assert made.status == 201, made.body
    assert made.body["status"] == "escalated", made.body
    county = platform.as_(Role.STAFF, "S-county", scope=district.county)

    async def stalled() -> list[dict[str, Any]] | None:
        found = (await county.get("/api/v1/cases?kind=stalled")).body["cases"]
        return [x for x in found if x["request_id"] == made.body["request_id"]] or None

    [case] = await eventually(stalled)
    assert (case["area"], case["resident_id"], case["status"]) == (
        district.hamlet, resident_id, "open")
    assert datetime.fromisoformat(case["due_at"]) > datetime.now(UTC)
    mine = (await platform.as_(Role.RESIDENT, resident_id).get("/api/v1/cases")).body
    assert [x["kind"] for x in mine["cases"]] == ["stalled"]
