"""Personal data can be erased though the log cannot (个人信息保护法 Art. 47; DESIGN §9), the
same in both modes.

Proves: a resident's address, name, phone and details never rest in the clear anywhere the
platform keeps data — the data dir's files (log and WAL included) embedded, the topics and
Redis scaled — only sealed under the resident's key; the assigned leader still reads them
whole and staff masked; once staff erase the resident, every reader (the leader included)
sees `[已删除]` in each of those fields, while the request, its history, the live board's
counts and the volunteers' points stay as they were; erasing again is 404.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from harness import Platform, eventually, make_district
from journeys import balance_reaches

from gateway.personal import ERASED
from schemas.common import Role

PERSONAL = ("address", "contact_name", "contact_phone", "details")


async def test_erasing_a_resident_reads_erased_everywhere_and_keeps_the_counts(
    platform: Platform,
) -> None:
    district = await make_district(platform)
    resident_id = f"R-erase-{uuid.uuid4().hex[:6]}"
    resident = platform.as_(Role.RESIDENT, resident_id)
    marker = uuid.uuid4().hex[:8]
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    made = await resident.post("/api/v1/requests", {
        "service_type": "groceries", "area": district.hamlet,
        "address": f"资园社区{marker}栋2单元101", "details": f"独居老人{marker}，请代买米",
        "contact_name": f"王阿姨{marker}", "contact_phone": phone})
    assert made.status == 201, made.body
    request_id = made.body["request_id"]
    team = district.teams["hamlet"]
    leader = platform.as_(Role.LEADER, team.leader_id)
    path = f"/api/v1/requests/{request_id}"
    for step, body in (("/accept", {}), ("/complete", {"volunteers": [
            {"volunteer_id": team.volunteers[0], "hours": 2}]})):
        assert (await leader.post(path + step, body)).status == 200
    assert (await resident.post(path + "/review", {"rating": 5})).status == 200
    seen = (await leader.get(path)).body
    assert marker in seen["address"] and seen["contact_phone"] == phone
    assert marker not in (await district.staff.get(path)).body["address"], "staff: masked"
    await balance_reaches(platform, team.volunteers[0], 2)
    staff = district.staff
    counts = await settled_counts(platform)

    assert platform.kept is not None
    kept = await platform.kept()
    for plain in (marker, phone):
        assert plain.encode() not in kept, f"{plain} rests in the clear"

    erased = await staff.request("DELETE", f"/api/v1/residents/{resident_id}")
    assert erased.status == 204, erased.body
    for reader in (leader, staff, resident):
        body = (await reader.get(path)).body
        assert [body[f] for f in PERSONAL] == [ERASED] * 4, body
        assert body["status"] == "reviewed" and body["history_total"] >= 5
    mine = (await resident.get("/api/v1/requests")).body["requests"]
    assert [r["address"] for r in mine] == [ERASED]
    tasks = (await leader.get("/api/v1/tasks")).body
    assert all(t["address"] == ERASED for t in tasks["tasks"]
               if t["request_id"] == request_id)
    assert await settled_counts(platform) == counts
    points = (await staff.get(f"/api/v1/volunteers/{team.volunteers[0]}/points")).body
    assert points["balance"] == 2
    again = await staff.request("DELETE", f"/api/v1/residents/{resident_id}")
    assert (again.status, again.error_code) == (404, "resident_not_found")


async def settled_counts(platform: Platform) -> Any:
    """The live board's counts once the board has caught up."""
    staff = platform.as_(Role.STAFF, "S-erase")

    async def steady() -> Any:
        first = (await staff.get("/api/v1/live")).body
        await asyncio.sleep(1.2)
        again = (await staff.get("/api/v1/live")).body
        return (again["funnel"], again["by_area"]) if first["position"] == again[
            "position"] else None

    return await eventually(steady, timeout_s=30)


async def test_a_profile_rests_sealed_and_erasure_removes_it_with_its_account(
    platform: Platform,
) -> None:
    district = await make_district(platform)
    marker = uuid.uuid4().hex[:8]
    phone = f"137{uuid.uuid4().int % 10**8:08d}"
    staff = district.staff
    made = await staff.post("/api/v1/residents", {
        "name": f"李{marker}", "phone": phone, "area": district.hamlet,
        "address": f"河东{marker}号", "birth_year": 1940, "tags": ["living_alone"]})
    assert made.status == 201, made.body
    resident_id = made.body["resident_id"]
    profile = (await staff.get(f"/api/v1/residents/{resident_id}")).body
    assert profile["phone"] == phone and marker in profile["address"]
    assert platform.kept is not None
    kept = await platform.kept()
    for plain in (marker, phone):
        assert plain.encode() not in kept, f"{plain} rests in the clear"
    anyone = platform.anonymous()
    assert (await anyone.post("/api/v1/auth/codes", {"phone": phone})).status == 202
    signed = await anyone.post("/api/v1/auth/sign-in", {
        "phone": phone, "code": await platform.code_sent_to(phone)})
    assert signed.status == 200 and signed.body["subject"] == resident_id
    own = platform.with_token(signed.body["access_token"])
    assert (await own.get(f"/api/v1/residents/{resident_id}")).status == 200

    assert (await staff.request("DELETE", f"/api/v1/residents/{resident_id}")).status == 204
    assert (await staff.get(f"/api/v1/residents/{resident_id}")).status == 404

    async def closed() -> bool:
        return (await own.get("/api/v1/me")).status == 401

    await eventually(closed, timeout_s=5)
    listed = (await staff.get(f"/api/v1/residents?area={district.hamlet}")).body
    assert resident_id not in {r["resident_id"] for r in listed["residents"]}
