"""Hours you can trust (DESIGN §10), through the HTTP API in both modes.

- The resident (and staff in scope) see the service code once a request is accepted; the
  leader never does, and checks volunteers in with it only when the resident reads it out.
- Completion hours of a checked-in volunteer stay within the checked time.
- A service done without a check-in is credited unverified after the resident's review.
- A resident's dispute holds the credit: a flag on the staff's list, credited or rejected
  with a reason; a correction reverses an entry; the record shows it all.
"""

from __future__ import annotations

from typing import Any

from harness import Client, District, Platform, eventually, make_district
from journeys import accepted, balance_reaches, served

from schemas.common import Role


async def record_of(platform: Platform, volunteer_id: str, query: str = "") -> dict[str, Any]:
    r = await platform.as_(Role.VOLUNTEER, volunteer_id).get(
        f"/api/v1/volunteers/{volunteer_id}/record{query}")
    assert r.status == 200, r.body
    body: dict[str, Any] = r.body
    return body


async def flag_of(staff: Client, request_id: str, status: str = "open") -> dict[str, Any]:
    async def listed() -> dict[str, Any] | None:
        flags = (await staff.get(f"/api/v1/flags?status={status}")).body["flags"]
        return next((f for f in flags if f["request_id"] == request_id), None)

    found: dict[str, Any] = await eventually(listed)
    return found


async def test_the_service_code_is_the_residents_and_checks_the_crew_in(
        platform: Platform) -> None:
    district = await make_district(platform)
    request_id = await accepted(platform, district, "R-code")
    path = f"/api/v1/requests/{request_id}"
    hamlet = district.teams["hamlet"]
    leader = platform.as_(Role.LEADER, hamlet.leader_id)
    code = (await platform.as_(Role.RESIDENT, "R-code").get(path)).body["service_code"]
    assert isinstance(code, str) and len(code) == 6 and code.isdigit()
    assert (await district.staff.get(path)).body["service_code"] == code
    assert (await leader.get(path)).body["service_code"] is None
    tasks = (await leader.get("/api/v1/tasks")).body["tasks"]
    assert all(t["service_code"] is None for t in tasks)

    wrong = f"{(int(code) + 1) % 10**6:06d}"
    crew = {"volunteer_ids": hamlet.volunteers[:2]}
    r = await leader.post(path + "/check-in", {"code": wrong} | crew)
    assert (r.status, r.error_code) == (422, "bad_code")
    r = await leader.post(path + "/check-in", {"code": code} | crew)
    assert r.status == 200, r.body
    r = await leader.post(path + "/check-in", {"code": code} | crew)
    assert (r.status, r.error_code) == (409, "already_checked_in")
    r = await leader.post(path + "/check-out", {"code": code,
                                                "volunteer_ids": hamlet.volunteers[:1]})
    assert r.status == 200, r.body
    checks = (await leader.get(path)).body["checks"]
    assert [c["volunteer_id"] for c in checks] == hamlet.volunteers[:2]
    assert checks[0]["checked_out_at"] is not None and checks[1]["checked_out_at"] is None

    # checked in for seconds: no whole half hour to complete with
    r = await leader.post(path + "/complete", {"volunteers": [
        {"volunteer_id": hamlet.volunteers[0], "hours": 1}]})
    assert (r.status, r.error_code) == (422, "hours_exceed_elapsed")
    assert r.body["error"]["details"]["checked_hours"] == 0


async def test_a_disputed_service_is_held_until_staff_credit_it(platform: Platform) -> None:
    district = await make_district(platform)
    volunteer = district.teams["hamlet"].volunteers[0]
    request_id = await served(platform, district, "R-dispute", [(volunteer, 2)], review=False)
    resident = platform.as_(Role.RESIDENT, "R-dispute")
    path = f"/api/v1/requests/{request_id}"
    assert (await resident.get(path)).body["volunteers"] == [
        {"volunteer_id": volunteer, "hours": 2.0}]
    r = await resident.post(path + "/review", {"rating": 2, "dispute": True})
    assert (r.status, r.error_code) == (422, "dispute_reason_required")
    r = await resident.post(path + "/review", {"rating": 2, "dispute": True,
                                               "dispute_reason": "只待了半小时"})
    assert r.status == 200, r.body

    flag = await flag_of(district.staff, request_id)
    assert (flag["kind"], flag["volunteer_id"], flag["hours"]) == ("dispute", volunteer, 2.0)
    assert flag["detail"] == "只待了半小时" and flag["area"] == district.hamlet
    held = await record_of(platform, volunteer)
    assert [(e["status"], e["hours"]) for e in held["entries"]] == [("held", 2.0)]
    assert held["totals"]["hours"] == 0 and held["totals"]["held_hours"] == 2.0

    elsewhere = platform.as_(Role.STAFF, "S-far", scope=district.far_village)
    r = await elsewhere.post(f"/api/v1/flags/{flag['flag_id']}/resolve",
                             {"decision": "credit", "reason": "核实"})
    assert (r.status, r.error_code) == (404, "not_found")
    r = await district.staff.post(f"/api/v1/flags/{flag['flag_id']}/resolve",
                                  {"decision": "credit", "reason": "电话回访，确有两小时"})
    assert r.status == 200, r.body
    assert r.body["flag"]["status"] == "credited"
    await balance_reaches(platform, volunteer, 2)
    r = await district.staff.post(f"/api/v1/flags/{flag['flag_id']}/resolve",
                                  {"decision": "reject", "reason": "again"})
    assert (r.status, r.error_code) == (409, "already_resolved")
    credited = await flag_of(district.staff, request_id, "credited")
    assert credited["reason"] == "电话回访，确有两小时"


async def test_a_rejected_flag_credits_nothing(platform: Platform) -> None:
    district = await make_district(platform)
    volunteer = district.teams["hamlet"].volunteers[1]
    request_id = await served(platform, district, "R-reject", [(volunteer, 1)], review=False)
    r = await platform.as_(Role.RESIDENT, "R-reject").post(
        f"/api/v1/requests/{request_id}/review",
        {"rating": 1, "dispute": True, "dispute_reason": "没有人来"})
    assert r.status == 200, r.body
    flag = await flag_of(district.staff, request_id)
    r = await district.staff.post(f"/api/v1/flags/{flag['flag_id']}/resolve",
                                  {"decision": "reject", "reason": "队长承认未上门"})
    assert r.status == 200, r.body
    await flag_of(district.staff, request_id, "rejected")

    async def dropped() -> bool:
        record = await record_of(platform, volunteer)
        return bool(record["entries"] == [] and record["totals"]["held_hours"] == 0)

    await eventually(dropped)
    points = (await platform.as_(Role.VOLUNTEER, volunteer).get(
        f"/api/v1/volunteers/{volunteer}/points")).body
    assert (points["balance"], points["lifetime_hours"]) == (0, 0)


async def test_a_correction_reverses_an_entry_and_the_record_shows_why(
        platform: Platform) -> None:
    district = await make_district(platform)
    volunteer = district.teams["hamlet"].volunteers[2]
    first = await served(platform, district, "R-fix1", [(volunteer, 3)])
    await served(platform, district, "R-fix2", [(volunteer, 2)])
    points = await balance_reaches(platform, volunteer, 5)
    assert points["star_level"] == 0 and points["verified_hours"] == 0
    entry = next(e for e in points["entries"] if e["request_id"] == first)
    assert (entry["source"], entry["verified"]) == ("service", False)

    path = f"/api/v1/volunteers/{volunteer}/corrections"
    r = await district.staff.post(path, {"entry_id": entry["entry_id"]})
    assert (r.status, r.body["error"]["details"][0]["field"]) == (422, "reason")
    r = await district.staff.post(path, {"entry_id": entry["entry_id"], "reason": "多报",
                                         "hours": 4})
    assert (r.status, r.error_code) == (422, "correction_exceeds_entry")
    r = await district.staff.post(path, {"entry_id": entry["entry_id"], "reason": "多报一小时",
                                         "hours": 1})
    assert r.status == 201, r.body
    assert (r.body["source"], r.body["corrects"], r.body["points"], r.body["hours"]) == (
        "correction", entry["entry_id"], -1, -1.0)
    assert r.body["unrecovered_points"] == 0 and r.body["balance"] == 4
    r = await district.staff.post(path, {"entry_id": "00000000-0000-0000-0000-000000000000",
                                         "reason": "x"})
    assert (r.status, r.error_code) == (404, "unknown_entry")
    far = platform.as_(Role.STAFF, "S-far", scope=district.far_village)
    r = await far.post(path, {"entry_id": entry["entry_id"], "reason": "x"})
    assert (r.status, r.error_code) == (404, "not_found")

    record = await record_of(platform, volunteer)
    assert [(e["kind"], e["hours"]) for e in record["entries"]] == [
        ("credit", 3.0), ("credit", 2.0), ("correction", -1.0)]
    assert record["totals"]["hours"] == 4.0 and record["totals"]["services"] == 2
    assert record["entries"][2]["reason"] == "多报一小时"
    assert record["entries"][2]["corrects"] == entry["entry_id"]
    assert record["entries"][0]["place"] == "一号小区"
    assert all(not e["verified"] for e in record["entries"])
    assert record["star_level"] == 0
    points = (await platform.as_(Role.VOLUNTEER, volunteer).get(
        f"/api/v1/volunteers/{volunteer}/points")).body
    assert (points["balance"], points["lifetime_hours"]) == (4, 4.0)
    other = district.teams["hamlet"].volunteers[0]
    r = await platform.as_(Role.VOLUNTEER, other).get(f"/api/v1/volunteers/{volunteer}/record")
    assert r.status == 403
    r = await platform.as_(Role.VOLUNTEER, volunteer).get(
        f"/api/v1/volunteers/{volunteer}/record?from=2030-01-01")
    assert r.status == 200 and r.body["entries"] == []
    r = await platform.as_(Role.VOLUNTEER, volunteer).get(
        f"/api/v1/volunteers/{volunteer}/record?from=yesterday")
    assert (r.status, r.error_code) == (400, "bad_from")


async def test_staff_lists_flags_of_their_scope_only(platform: Platform) -> None:
    district: District = await make_district(platform)
    volunteer = district.teams["hamlet"].volunteers[0]
    request_id = await served(platform, district, "R-scope-flag", [(volunteer, 1)],
                              review=False)
    r = await platform.as_(Role.RESIDENT, "R-scope-flag").post(
        f"/api/v1/requests/{request_id}/review",
        {"rating": 3, "dispute": True, "dispute_reason": "时长不对"})
    assert r.status == 200
    await flag_of(district.staff, request_id)
    town = platform.as_(Role.STAFF, "S-town", scope=district.town)
    assert any(f["request_id"] == request_id
               for f in (await town.get("/api/v1/flags?status=open")).body["flags"])
    far = platform.as_(Role.STAFF, "S-far", scope=district.far_village)
    assert not any(f["request_id"] == request_id
                   for f in (await far.get("/api/v1/flags")).body["flags"])
    r = await far.get(f"/api/v1/flags?area={district.hamlet}")
    assert (r.status, r.error_code) == (403, "out_of_scope")
    r = await district.staff.get("/api/v1/flags?status=maybe")
    assert (r.status, r.error_code) == (400, "bad_status")
