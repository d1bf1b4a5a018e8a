"""Deadlines, on a platform with short windows: an unaccepted task times out and goes to the
next team; when every team has let it pass it is escalated to the office; when every team
that serves it is busy it waits, and is escalated if it waits too long; a completed service
nobody reviews is confirmed when its window passes, and the volunteers are credited."""

from __future__ import annotations

import asyncio
from typing import Any

from harness import Platform, eventually, make_district
from journeys import accepted, balance_reaches, served

from schemas.common import Role


async def test_an_unaccepted_task_times_out_to_the_next_team_then_escalates(
    quick_platform: Platform,
) -> None:
    platform = quick_platform
    district = await make_district(platform)
    resident = platform.as_(Role.RESIDENT, "R-slow")
    made = await resident.post("/api/v1/requests", {
        "service_type": "groceries", "area": district.hamlet, "address": "1栋",
    })
    request_id = made.body["request_id"]
    assert made.body["team_id"] == district.teams["hamlet"].team_id

    async def history() -> list[str]:
        r = await resident.get(f"/api/v1/requests/{request_id}")
        return [h["event"] for h in r.body["history"]]

    async def escalated() -> Any:
        events = await history()
        return events if events[-1] == "RequestEscalated" else None

    events = await eventually(escalated, timeout_s=20)
    assert events.count("AcceptDeadlinePassed") == 3
    teams = [h["team_id"] for h in (await resident.get(f"/api/v1/requests/{request_id}"))
             .body["history"] if h["event"] == "RequestDispatched"]
    assert teams == [district.teams[k].team_id for k in ("hamlet", "village", "town")]

    async def on_the_board() -> bool:
        live = await district.staff.get("/api/v1/live")
        return request_id in {r["request_id"] for r in live.body["escalated"]}

    assert await eventually(on_the_board)
    hamlet = platform.as_(Role.LEADER, district.teams["hamlet"].leader_id)
    late = await hamlet.post(f"/api/v1/requests/{request_id}/accept")
    assert late.status in (403, 409), "a late accept after the deadline is refused"


async def test_when_every_team_is_busy_the_order_waits_then_escalates(
    quick_platform: Platform,
) -> None:
    platform = quick_platform
    district = await make_district(platform)
    county = district.teams["county"]
    leader = platform.as_(Role.LEADER, county.leader_id)
    staff = district.staff
    placed = []
    for n in range(11):
        r = await platform.as_(Role.RESIDENT, f"R-busy-{n}").post("/api/v1/requests", {
            "service_type": "bathing", "area": district.hamlet, "address": "2栋"})
        placed.append(r.body)
        if r.body["team_id"] == county.team_id:
            accepted = await leader.post(f"/api/v1/requests/{r.body['request_id']}/accept")
            assert accepted.status == 200
    waiting = [b for b in placed if b["team_id"] is None]
    assert len(waiting) == 1 and waiting[0]["status"] == "submitted", "capacity is 10"

    async def escalated() -> Any:
        r = await staff.get(f"/api/v1/requests/{waiting[0]['request_id']}")
        return r.body if r.body["status"] == "escalated" else None

    body = await eventually(escalated, timeout_s=15)
    assert body["escalation_reason"] == "all_teams_busy"


async def test_a_queued_order_is_dispatched_as_soon_as_a_team_frees_up(
    platform: Platform,
) -> None:
    district = await make_district(platform)
    county = district.teams["county"]
    leader = platform.as_(Role.LEADER, county.leader_id)
    ids = []
    for n in range(11):
        r = await platform.as_(Role.RESIDENT, f"R-queue-{n}").post("/api/v1/requests", {
            "service_type": "repair", "area": district.village, "address": "3栋"})
        ids.append(r.body["request_id"])
    resident = platform.as_(Role.RESIDENT, "R-queue-10")
    last = await resident.get(f"/api/v1/requests/{ids[-1]}")
    assert last.body["status"] == "submitted" and last.body["team_id"] is None
    await leader.post(f"/api/v1/requests/{ids[0]}/decline", {"reason": "没有工具"})
    after = await resident.get(f"/api/v1/requests/{ids[-1]}")
    assert after.body["status"] == "dispatched" and after.body["team_id"] == county.team_id


async def test_an_unreviewed_service_is_confirmed_when_its_window_passes(
    quick_platform: Platform,
) -> None:
    """Only a service whose volunteers were all checked in: the window confirms it, its
    hours verified; one done without a check-in waits for the resident or staff."""
    platform = quick_platform
    district = await make_district(platform)
    volunteer = district.teams["hamlet"].volunteers[0]
    request_id = await accepted(platform, district, "R-quiet")
    path = f"/api/v1/requests/{request_id}"
    code = (await platform.as_(Role.RESIDENT, "R-quiet").get(path)).body["service_code"]
    leader = platform.as_(Role.LEADER, district.teams["hamlet"].leader_id)
    r = await leader.post(path + "/check-in", {"code": code, "volunteer_ids": [volunteer]})
    assert r.status == 200, r.body
    await asyncio.sleep(1.2)  # three steps of 0.36 s
    r = await leader.post(path + "/complete",
                          {"volunteers": [{"volunteer_id": volunteer, "hours": 0.0003}]})
    assert r.status == 200, r.body
    me = platform.as_(Role.VOLUNTEER, volunteer)

    async def credited() -> dict[str, Any] | None:
        body: dict[str, Any] = (await me.get(f"/api/v1/volunteers/{volunteer}/points")).body
        return body if body["entries"] else None

    account = await eventually(credited)
    entry = account["entries"][0]
    assert (entry["request_id"], entry["hours"], entry["verified"]) == (request_id, 0.0003,
                                                                       True)
    history = (await district.staff.get(path)).body["history"]
    assert history[-1]["event"] == "ServiceConfirmed"
    resident = platform.as_(Role.RESIDENT, "R-quiet")
    late_review = await resident.post(path + "/review", {"rating": 4})
    assert late_review.status == 200
    await asyncio.sleep(0.5)
    again = (await me.get(f"/api/v1/volunteers/{volunteer}/points")).body
    assert len(again["entries"]) == 1, "a review after the window credits nothing more"

    other = district.teams["hamlet"].volunteers[1]
    unchecked = await served(platform, district, "R-quiet2", [(other, 2)], review=False)
    await asyncio.sleep(3)  # past the confirmation window
    seen = (await district.staff.get(f"/api/v1/requests/{unchecked}")).body
    assert seen["history"][-1]["event"] == "RequestCompleted", "never by the window alone"
    r = await district.staff.post(f"/api/v1/requests/{unchecked}/confirm")
    assert r.status == 200, r.body
    account = await balance_reaches(platform, other, 2)
    assert account["entries"][0]["verified"] is False


async def test_staff_can_confirm_a_service_so_points_are_credited(platform: Platform) -> None:
    district = await make_district(platform)
    volunteer = district.teams["hamlet"].volunteers[1]
    request_id = await served(platform, district, "R-staff", [(volunteer, 1)], review=False)
    confirmed = await district.staff.post(f"/api/v1/requests/{request_id}/confirm")
    assert confirmed.status == 200
    await balance_reaches(platform, volunteer, 1)
    twice = await district.staff.post(f"/api/v1/requests/{request_id}/confirm")
    assert (twice.status, twice.error_code) == (409, "already_confirmed")


async def test_staff_give_an_accepted_request_past_its_service_window_to_another_team(
    windowed_platform: Platform,
) -> None:
    platform = windowed_platform
    district = await make_district(platform)
    request_id = await accepted(platform, district, "R-stalled")
    path = f"/api/v1/requests/{request_id}"
    hamlet, village = district.teams["hamlet"], district.teams["village"]
    first = platform.as_(Role.LEADER, hamlet.leader_id)
    early = await district.staff.post(path + "/dispatch", {"team_id": village.team_id})
    assert (early.status, early.error_code) == (409, "not_overdue")

    async def moved() -> Any:
        reply = await district.staff.post(path + "/dispatch", {"team_id": village.team_id})
        return reply if reply.status == 200 else None

    reply = await eventually(moved, timeout_s=15, interval_s=0.5)
    assert reply.body == {"request_id": request_id, "status": "dispatched",
                          "team_id": village.team_id}
    late = await first.post(path + "/complete", {
        "volunteers": [{"volunteer_id": hamlet.volunteers[0], "hours": 1}]})
    assert late.status == 403, "the first team no longer holds it"
    second = platform.as_(Role.LEADER, village.leader_id)
    assert (await second.post(path + "/accept")).status == 200
    done = await second.post(path + "/complete", {
        "volunteers": [{"volunteer_id": village.volunteers[0], "hours": 1}]})
    assert done.status == 200 and done.body["status"] == "completed"
    tasks = (await first.get("/api/v1/tasks")).body["tasks"]
    assert request_id not in [t["request_id"] for t in tasks]
