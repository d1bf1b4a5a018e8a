"""The roster through HTTP (DESIGN §9 "Roster"), against real processes in both modes.

Proves: staff change a team (capacity, deputies, active, areas, leader) and a volunteer (team,
skills, phone, retirement) with PATCH, each change visible at once in the answer, the team's
history and what dispatch and completion then allow; deputies act for their team as the
leader does; the volunteer list pages within the caller's scope, by team and by search; a
phone is kept sealed and shown only to staff in scope and the team's leader and deputies;
out of scope a team or volunteer is 404 and naming an area outside the scope is 403. How:
each test registers its own district (a county of unique codes) through the API and calls
the routes as staff (scoped with tokens that carry a scope), leaders, deputies and residents.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from harness import Client, District, Platform, make_district
from journeys import balance_reaches, served

from gateway.auth import issue_token
from schemas.common import Role


def scoped(platform: Platform, scope: str, subject: str = "S-scoped") -> Client:
    token = issue_token(platform.secret, Role.STAFF, subject, datetime.now(UTC), 3600,
                        scope=scope)
    return platform.with_token(token)


def team_path(district: District, level: str) -> str:
    return f"/api/v1/teams/{district.teams[level].team_id}"


async def order(platform: Platform, district: District, resident: str) -> dict[str, Any]:
    reply = await platform.as_(Role.RESIDENT, resident).post("/api/v1/requests", {
        "service_type": "groceries", "area": district.hamlet, "address": "一号小区3栋",
        "contact_phone": "13900001111"})
    assert reply.status == 201, reply.body
    body: dict[str, Any] = reply.body
    return body


async def test_staff_change_a_team_and_read_its_history(platform: Platform) -> None:
    district = await make_district(platform)
    staff, path = district.staff, team_path(district, "hamlet")
    r = await staff.request("PATCH", path, {"capacity": 4, "deputies": ["D-roster-1"],
                                            "name": "hamlet team"})
    assert r.status == 200, r.body
    assert (r.body["capacity"], r.body["deputies"], r.body["active"]) == (4, ["D-roster-1"],
                                                                          True)
    assert r.body["history_total"] == 2
    registered, changed = r.body["history"]
    assert registered["event"] == "TeamRegistered" and registered["changed"]["capacity"] == 2
    assert changed["event"] == "TeamChanged" and changed["actor_id"] == "S-test"
    assert changed["changed"] == {"capacity": 4, "deputies": ["D-roster-1"]}, "only changes"
    again = await staff.request("PATCH", path, {"capacity": 4})
    assert (again.status, again.body["history_total"]) == (200, 2), "nothing changed"
    got = await staff.get(path)
    assert got.status == 200 and got.body == again.body
    listed = [t for t in (await staff.get("/api/v1/teams")).body["teams"]
              if t["team_id"] == district.teams["hamlet"].team_id]
    assert listed[0]["deputies"] == ["D-roster-1"] and listed[0]["capacity"] == 4
    deputy = platform.as_(Role.LEADER, "D-roster-1")
    assert (await deputy.get(path)).status == 200
    other = platform.as_(Role.LEADER, district.teams["village"].leader_id)
    assert (await other.get(path)).status == 404


async def test_a_deputy_acts_for_the_team_until_removed(platform: Platform) -> None:
    district = await make_district(platform)
    hamlet = district.teams["hamlet"]
    r = await district.staff.request("PATCH", team_path(district, "hamlet"),
                                     {"deputies": ["D-roster-2"]})
    assert r.status == 200, r.body
    made = await order(platform, district, "R-roster-2")
    assert made["team_id"] == hamlet.team_id
    deputy = platform.as_(Role.LEADER, "D-roster-2")
    tasks = await deputy.get("/api/v1/tasks")
    assert tasks.status == 200 and [t["request_id"] for t in tasks.body["tasks"]] == [
        made["request_id"]]
    assert tasks.body["tasks"][0]["contact_phone"] == "13900001111", "unmasked for a deputy"
    path = f"/api/v1/requests/{made['request_id']}"
    assert (await deputy.post(path + "/accept")).status == 200
    done = await deputy.post(path + "/complete", {"volunteers": [
        {"volunteer_id": hamlet.volunteers[0], "hours": 1}]})
    assert done.status == 200, done.body
    second = await order(platform, district, "R-roster-2")
    r = await district.staff.request("PATCH", team_path(district, "hamlet"), {"deputies": []})
    assert r.status == 200 and r.body["deputies"] == []
    assert (await deputy.get("/api/v1/tasks")).status == 404
    refused = await deputy.post(f"/api/v1/requests/{second['request_id']}/accept")
    assert refused.status == 403


async def test_an_inactive_team_gets_no_new_dispatch(platform: Platform) -> None:
    district = await make_district(platform)
    staff, hamlet = district.staff, district.teams["hamlet"]
    r = await staff.request("PATCH", team_path(district, "hamlet"), {"active": False})
    assert (r.status, r.body["active"]) == (200, False)
    made = await order(platform, district, "R-roster-3")
    assert made["team_id"] == district.teams["village"].team_id
    r = await staff.post(f"/api/v1/requests/{made['request_id']}/dispatch",
                         {"team_id": hamlet.team_id})
    assert (r.status, r.error_code) == (409, "team_inactive")
    assert (await staff.request("PATCH", team_path(district, "hamlet"),
                                {"active": True})).status == 200
    again = await order(platform, district, "R-roster-3")
    assert again["team_id"] == hamlet.team_id


async def test_a_capacity_below_the_load_is_kept_and_respected(platform: Platform) -> None:
    district = await make_district(platform)
    hamlet = district.teams["hamlet"]
    for _ in range(2):
        assert (await order(platform, district, "R-roster-4"))["team_id"] == hamlet.team_id
    r = await district.staff.request("PATCH", team_path(district, "hamlet"), {"capacity": 1})
    assert (r.status, r.body["capacity"], r.body["load"]) == (200, 1, 2)
    third = await order(platform, district, "R-roster-4")
    assert third["team_id"] == district.teams["village"].team_id


async def test_people_and_areas_are_checked(platform: Platform) -> None:
    district = await make_district(platform)
    staff, path = district.staff, team_path(district, "hamlet")
    village_leader = district.teams["village"].leader_id
    r = await staff.request("PATCH", path, {"deputies": [village_leader]})
    assert (r.status, r.error_code) == (409, "leader_has_team")
    r = await staff.request("PATCH", path, {"leader_id": village_leader})
    assert (r.status, r.error_code) == (409, "leader_has_team")
    r = await staff.request("PATCH", path, {"deputies": [district.teams["hamlet"].leader_id]})
    assert (r.status, r.error_code) == (422, "leader_is_deputy")
    r = await staff.request("PATCH", path, {"areas": [district.hamlet, "999999001"]})
    assert (r.status, r.error_code) == (422, "invalid"), "one county, checked as parsed"
    other = await make_district(platform)
    r = await staff.request("PATCH", path, {"areas": [other.hamlet]})
    assert (r.status, r.error_code) == (422, "areas_outside_county")
    r = await staff.request("PATCH", path, {"areas": [district.county + "009"]})
    assert (r.status, r.error_code) == (422, "unknown_area")
    r = await staff.request("PATCH", "/api/v1/teams/T-nobody", {"capacity": 2})
    assert (r.status, r.error_code) == (404, "not_found")
    r = await staff.request("PATCH", path, {"leader_id": "L-roster-new",
                                            "areas": [district.village]})
    assert r.status == 200 and r.body["leader_id"] == "L-roster-new"
    new_leader = platform.as_(Role.LEADER, "L-roster-new")
    assert (await new_leader.get("/api/v1/tasks")).body["team"]["areas"] == [district.village]
    old = platform.as_(Role.LEADER, district.teams["hamlet"].leader_id)
    assert (await old.get("/api/v1/tasks")).status == 404


async def test_scope_bounds_every_roster_route(platform: Platform) -> None:
    district = await make_district(platform)
    town = scoped(platform, district.town)
    elsewhere = scoped(platform, "999998")
    county_team = team_path(district, "county")
    hamlet_team = team_path(district, "hamlet")
    assert (await elsewhere.request("PATCH", hamlet_team, {"capacity": 3})).status == 404
    assert (await elsewhere.get(hamlet_team)).status == 404
    r = await town.request("PATCH", county_team, {"capacity": 3})
    assert (r.status, r.error_code) == (404, "not_found"), "based at the county: outside"
    r = await town.request("PATCH", hamlet_team, {"areas": [district.county]})
    assert (r.status, r.error_code) == (403, "out_of_scope")
    assert (await town.request("PATCH", hamlet_team, {"capacity": 3})).status == 200
    county_volunteer = district.teams["county"].volunteers[0]
    r = await town.request("PATCH", f"/api/v1/volunteers/{county_volunteer}", {"name": "张"})
    assert (r.status, r.error_code) == (404, "not_found")
    hamlet_volunteer = district.teams["hamlet"].volunteers[0]
    r = await town.request("PATCH", f"/api/v1/volunteers/{hamlet_volunteer}",
                           {"team_id": district.teams["county"].team_id})
    assert (r.status, r.error_code) == (422, "unknown_team"), "a team it may not see"
    listed = await town.get("/api/v1/volunteers?limit=200")
    ids = {v["volunteer_id"] for v in listed.body["volunteers"]}
    expected = {v for level in ("hamlet", "village", "town")
                for v in district.teams[level].volunteers}
    assert ids == expected
    r = await town.get(f"/api/v1/volunteers?team_id={district.teams['county'].team_id}")
    assert (r.status, r.error_code) == (404, "not_found")


async def test_volunteers_move_retire_and_keep_their_points(platform: Platform) -> None:
    district = await make_district(platform)
    staff, hamlet, village = district.staff, district.teams["hamlet"], district.teams["village"]
    kept, moved, retired = hamlet.volunteers
    await served(platform, district, "R-roster-5", [(retired, 2.0)])
    r = await staff.request("PATCH", f"/api/v1/volunteers/{moved}",
                            {"team_id": village.team_id, "skills": ["电工", "first_aid"]})
    assert r.status == 200, r.body
    assert (r.body["team_id"], r.body["skills"], r.body["active"]) == (
        village.team_id, ["电工", "first_aid"], True)
    r = await staff.request("PATCH", f"/api/v1/volunteers/{retired}", {"active": False})
    assert (r.status, r.body["active"]) == (200, False)
    made = await order(platform, district, "R-roster-5")
    leader = platform.as_(Role.LEADER, hamlet.leader_id)
    tasks = await leader.get("/api/v1/tasks")
    assert [v["volunteer_id"] for v in tasks.body["volunteers"]] == [kept]
    path = f"/api/v1/requests/{made['request_id']}"
    assert (await leader.post(path + "/accept")).status == 200
    for named, code in ((retired, "volunteer_retired"), (moved, "volunteer_not_in_team")):
        r = await leader.post(path + "/complete",
                              {"volunteers": [{"volunteer_id": named, "hours": 1}]})
        assert (r.status, r.error_code) == (422, code)
        assert r.body["error"]["details"]["volunteers"] == [named]
    points = await balance_reaches(platform, retired, 2)
    assert points["lifetime_hours"] == 2.0, "a retired volunteer's points stay"
    r = await staff.request("PATCH", f"/api/v1/teams/{hamlet.team_id}",
                            {"deputies": [retired]})
    assert (r.status, r.error_code) == (422, "volunteer_retired")
    r = await staff.request("PATCH", f"/api/v1/teams/{hamlet.team_id}", {"deputies": [kept]})
    assert r.status == 200
    r = await staff.request("PATCH", f"/api/v1/volunteers/{kept}", {"active": False})
    assert (r.status, r.error_code) == (409, "volunteer_leads_team")
    other = await make_district(platform)
    r = await staff.request("PATCH", f"/api/v1/volunteers/{kept}",
                            {"team_id": other.teams["hamlet"].team_id})
    assert (r.status, r.error_code) == (422, "team_in_other_county")
    r = await staff.request("PATCH", "/api/v1/volunteers/V-nobody", {"name": "谁"})
    assert (r.status, r.error_code) == (404, "not_found")


async def test_a_phone_is_sealed_and_shown_only_to_who_may(platform: Platform) -> None:
    district = await make_district(platform)
    staff, hamlet = district.staff, district.teams["hamlet"]
    phone, volunteer_id = "13712345678", f"V{district.county}-phone"
    r = await staff.post("/api/v1/volunteers", {
        "volunteer_id": volunteer_id, "name": "电话志愿者", "team_id": hamlet.team_id,
        "phone": phone, "skills": ["驾驶"]})
    assert r.status == 201 and r.body["phone"] == phone, r.body
    county_staff = scoped(platform, district.county)
    listed = await county_staff.get(f"/api/v1/volunteers?team_id={hamlet.team_id}")
    mine = {v["volunteer_id"]: v for v in listed.body["volunteers"]}
    assert mine[volunteer_id]["phone"] == phone and mine[volunteer_id]["skills"] == ["驾驶"]
    leader = platform.as_(Role.LEADER, hamlet.leader_id)
    led = await leader.get("/api/v1/volunteers")
    assert {v["volunteer_id"]: v["phone"] for v in led.body["volunteers"]}[volunteer_id] == phone
    tasks = await leader.get("/api/v1/tasks")
    assert all(v["phone"] is None for v in tasks.body["volunteers"])
    if platform.kept is not None:
        assert phone.encode() not in await platform.kept(), "the phone rests sealed"
    new = "13798765432"
    r = await staff.request("PATCH", f"/api/v1/volunteers/{volunteer_id}", {"phone": new})
    assert (r.status, r.body["phone"]) == (200, new)
    r = await staff.request("PATCH", f"/api/v1/volunteers/{volunteer_id}", {"phone": None})
    assert (r.status, r.body["phone"]) == (200, None)


async def test_the_volunteer_list_pages_searches_and_bounds(platform: Platform) -> None:
    district = await make_district(platform)
    staff = scoped(platform, district.county)
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        query = "?limit=5" + (f"&cursor={cursor}" if cursor else "")
        page = await staff.get("/api/v1/volunteers" + query)
        assert page.status == 200, page.body
        seen += [v["volunteer_id"] for v in page.body["volunteers"]]
        cursor = page.body["next_cursor"]
        if cursor is None:
            break
    everyone = {v for team in district.teams.values() for v in team.volunteers}
    assert len(seen) == len(set(seen)) == 12 and set(seen) == everyone
    found = await staff.get("/api/v1/volunteers?q=%E5%BF%97%E6%84%BF%E8%80%8523")  # 志愿者23
    assert [v["name"] for v in found.body["volunteers"]] == ["志愿者23"]
    village = district.teams["village"]
    r = await staff.get(f"/api/v1/volunteers?team_id={village.team_id}")
    assert {v["volunteer_id"] for v in r.body["volunteers"]} == set(village.volunteers)
    leader = platform.as_(Role.LEADER, village.leader_id)
    r = await leader.get("/api/v1/volunteers")
    assert {v["volunteer_id"] for v in r.body["volunteers"]} == set(village.volunteers)
    r = await leader.get(f"/api/v1/volunteers?team_id={district.teams['hamlet'].team_id}")
    assert (r.status, r.error_code) == (404, "not_found")
    r = await platform.as_(Role.LEADER, "L-roster-none").get("/api/v1/volunteers")
    assert (r.status, r.error_code) == (404, "no_team")
    for bad, code in (("?limit=0", "bad_limit"), ("?limit=201", "bad_limit"),
                      ("?cursor=%%%", "bad_cursor"), ("?cursor=bm90LWEtY3Vyc29y", "bad_cursor"),
                      ("?q=", "bad_query"), ("?q=" + "x" * 51, "bad_query")):
        r = await staff.get("/api/v1/volunteers" + bad)
        assert (r.status, r.error_code) == (400, code), bad
    r = await staff.get("/api/v1/volunteers?team_id=T-nobody")
    assert (r.status, r.error_code) == (404, "not_found")
