"""Activities through HTTP (DESIGN §10): publish, sign up, check in with the rotating code,
close, and the hours credited to the ledger.

How: a district per test on a platform started as real processes. On the ordinary platform
an activity that started ten minutes ago takes a sign-up book through confirmation, the
waiting list (as long as the slots), a full book and a promotion; a wrong code is 422
bad_code, a waiting volunteer's check-in 422 not_signed_up; the close flags a volunteer who
never checked out (counted to the end) and a second close is 409 already_closed. On a brisk
platform (hours in steps of 0.36 s, activities closed a second after their end) an activity
of seconds credits the volunteer who checked in and out, whose lifetime hours rise on the
points answer, and another one closes by itself.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from harness import Client, District, Platform, eventually, make_district

from schemas.common import Role


def iso(at: datetime) -> str:
    return at.isoformat()


async def publish(client: Client, district: District, activity_id: str, starts_at: datetime,
                  ends_at: datetime, **extra: Any) -> dict[str, Any]:
    reply = await client.post("/api/v1/activities", {
        "activity_id": activity_id, "title": "文明劝导", "service_type": "civility",
        "area": district.village, "starts_at": iso(starts_at), "ends_at": iso(ends_at),
        "slots": 1, **extra})
    assert reply.status == 201, reply.body
    body: dict[str, Any] = reply.body
    return body


async def code_of(client: Client, activity_id: str) -> str:
    reply = await client.get(f"/api/v1/activities/{activity_id}/code")
    assert reply.status == 200, reply.body
    code: str = reply.body["code"]
    return code


async def test_a_sign_up_book_a_check_in_and_a_close_that_flags_a_missing_check_out(
        platform: Platform) -> None:
    district = await make_district(platform)
    staff = district.staff
    one, two, three = district.teams["village"].volunteers
    now = datetime.now(UTC)
    activity_id = f"A{district.county}-1"
    path = f"/api/v1/activities/{activity_id}"
    made = await publish(staff, district, activity_id, now - timedelta(minutes=10),
                         now + timedelta(minutes=50))
    assert (made["status"], made["organiser"], made["confirmed"]) == ("open", "测试区", 0)

    def volunteer(v: str) -> Client:
        return platform.as_(Role.VOLUNTEER, v)

    replies = [await volunteer(v).post(path + "/signups") for v in (one, two, three)]
    assert [(r.status, r.body.get("status") or r.error_code) for r in replies] == [
        (201, "confirmed"), (201, "waiting"), (409, "full")], "one slot, one on the list"
    again = await volunteer(one).post(path + "/signups")
    assert (again.status, again.error_code) == (409, "already_signed_up")
    cancelled = await volunteer(one).request("DELETE", path + "/signups")
    assert (cancelled.status, cancelled.body["promoted"]) == (200, two)
    assert (await volunteer(three).post(path + "/signups")).body["status"] == "waiting"

    listed = await volunteer(one).get("/api/v1/activities")
    assert activity_id in [a["activity_id"] for a in listed.body["activities"]]

    code = await code_of(staff, activity_id)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    bad = await volunteer(two).post(path + "/check-in", {"code": wrong})
    assert (bad.status, bad.error_code) == (422, "bad_code")
    waiting = await volunteer(three).post(path + "/check-in", {"code": code})
    assert (waiting.status, waiting.error_code) == (422, "not_signed_up")
    checked = await volunteer(two).post(path + "/check-in", {"code": code})
    assert checked.status == 200, checked.body
    assert checked.body["checked_out_at"] is None

    seen = await staff.get(path)
    assert [(s["volunteer_id"], s["status"], s["checked_in_at"] is not None)
            for s in seen.body["signups"]] == [(two, "confirmed", True),
                                               (three, "waiting", False)]
    other_leader = platform.as_(Role.LEADER, district.teams["town"].leader_id)
    refused = await other_leader.post(path + "/close")
    assert (refused.status, refused.error_code) == (403, "not_organiser")
    svg = await staff.get(path + "/code.svg")
    assert svg.status == 200 and svg.headers["Content-Type"].startswith("image/svg+xml")

    closed = await staff.post(path + "/close")
    assert closed.status == 200, closed.body
    assert closed.body["credited"] == []
    assert closed.body["flagged"] == [{"volunteer_id": two, "hours": 0.5,
                                       "kind": "no_checkout"}]
    twice = await staff.post(path + "/close")
    assert (twice.status, twice.error_code) == (409, "already_closed")
    late = await volunteer(two).post(path + "/check-out", {"code": code})
    assert (late.status, late.error_code) == (409, "closed")

    async def flagged() -> dict[str, Any] | None:
        flags = (await staff.get("/api/v1/flags?status=open")).body["flags"]
        return next((f for f in flags if f["activity_id"] == activity_id), None)

    flag = await eventually(flagged)
    assert (flag["kind"], flag["volunteer_id"], flag["hours"]) == ("no_checkout", two, 0.5)
    held = (await volunteer(two).get(f"/api/v1/volunteers/{two}/record")).body
    assert [(e["status"], e["source"]) for e in held["entries"]] == [("held", "activity")]
    r = await staff.post(f"/api/v1/flags/{flag['flag_id']}/resolve",
                         {"decision": "credit", "reason": "组织方确认全程在场"})
    assert r.status == 200, r.body

    async def posted() -> dict[str, Any] | None:
        body = (await volunteer(two).get(f"/api/v1/volunteers/{two}/record")).body
        return body if body["totals"]["activities"] == 1 else None

    record = await eventually(posted)
    [entry] = record["entries"]
    assert (entry["title"], entry["verified"], entry["hours"]) == ("文明劝导", True, 0.5)


async def test_a_leader_publishes_for_their_team_and_approves_sign_ups(
        platform: Platform) -> None:
    district = await make_district(platform)
    team = district.teams["village"]
    leader = platform.as_(Role.LEADER, team.leader_id)
    now = datetime.now(UTC)
    activity_id = f"A{district.county}-2"
    path = f"/api/v1/activities/{activity_id}"
    made = await publish(leader, district, activity_id, now + timedelta(hours=1),
                         now + timedelta(hours=3), approval=True)
    assert (made["team_id"], made["organiser"]) == (team.team_id, "village team")
    first = team.volunteers[0]
    asked = await platform.as_(Role.VOLUNTEER, first).post(path + "/signups")
    assert (asked.status, asked.body["status"]) == (201, "pending")
    approved = await leader.post(f"{path}/signups/{first}/approve")
    assert (approved.status, approved.body["status"]) == (200, "confirmed")
    early = await leader.post(path + "/close")
    assert (early.status, early.error_code) == (409, "not_started")
    elsewhere = await platform.as_(Role.LEADER, team.leader_id).post("/api/v1/activities", {
        "activity_id": f"A{district.county}-3", "title": "x", "service_type": "civility",
        "area": district.county + "002", "starts_at": iso(now + timedelta(hours=1)),
        "ends_at": iso(now + timedelta(hours=2)), "slots": 3})
    assert (elsewhere.status, elsewhere.error_code) == (403, "out_of_scope")


async def test_hours_checked_in_and_out_are_credited_and_an_open_activity_closes_by_itself(
        brisk_platform: Platform) -> None:
    platform = brisk_platform
    district = await make_district(platform)
    staff = district.staff
    one, two, _ = district.teams["village"].volunteers
    points = f"/api/v1/volunteers/{one}/points"
    before = (await platform.as_(Role.VOLUNTEER, one).get(points)).body["lifetime_hours"]
    now = datetime.now(UTC)
    attended, forgotten = f"A{district.county}-4", f"A{district.county}-5"
    await publish(staff, district, attended, now + timedelta(seconds=1),
                  now + timedelta(seconds=5))
    await publish(staff, district, forgotten, now + timedelta(seconds=1),
                  now + timedelta(seconds=2))
    for activity_id, volunteer in ((attended, one), (forgotten, two)):
        client = platform.as_(Role.VOLUNTEER, volunteer)
        path = f"/api/v1/activities/{activity_id}"
        assert (await client.post(path + "/signups")).status == 201
        checked = await client.post(path + "/check-in", {"code": await code_of(staff,
                                                                               activity_id)})
        assert checked.status == 200, checked.body
    await asyncio.sleep(max(0.0, (now + timedelta(seconds=4) - datetime.now(UTC))
                            .total_seconds()))
    out = await platform.as_(Role.VOLUNTEER, one).post(
        f"/api/v1/activities/{attended}/check-out", {"code": await code_of(staff, attended)})
    assert out.status == 200, out.body
    await asyncio.sleep(max(0.0, (now + timedelta(seconds=5) - datetime.now(UTC))
                            .total_seconds()))
    closed = await staff.post(f"/api/v1/activities/{attended}/close")
    assert closed.status == 200, closed.body
    [credited] = closed.body["credited"]
    assert credited["volunteer_id"] == one and credited["hours"] > 0
    assert closed.body["flagged"] == []

    async def risen() -> Any:
        reply = await platform.as_(Role.VOLUNTEER, one).get(points)
        return reply.body["lifetime_hours"] > before and reply.body

    assert (await eventually(risen))["lifetime_hours"] == round(before + credited["hours"], 4)

    async def closed_by_itself() -> Any:
        reply = await staff.get(f"/api/v1/activities/{forgotten}")
        return reply.body["status"] == "closed" and reply.body

    shut = await eventually(closed_by_itself)
    assert shut["closed_automatically"] is True
