"""The residents' and leaders' journeys, through the HTTP API of a running platform.

Order (点单) → dispatched to the most local team (派单) → the leader accepts (接单) and completes
naming volunteers and hours → the resident reviews (评单) → each volunteer is credited.
Decline sends the request to the next team, never back to one that refused it.
"""

from __future__ import annotations

from harness import District, Platform, eventually, make_district

from schemas.common import Role


async def order(platform: Platform, district: District, resident: str = "R1",
                service_type: str = "groceries", area: str | None = None,
                urgency: str = "normal") -> dict[str, str]:
    reply = await platform.as_(Role.RESIDENT, resident).post("/api/v1/requests", {
        "service_type": service_type, "area": area or district.hamlet,
        "address": "一号小区3栋2单元101室", "details": "请帮忙买米和青菜", "urgency": urgency,
        "contact_name": "王奶奶", "contact_phone": "13807390001",
    })
    assert reply.status == 201, reply.body
    assert reply.headers["Location"] == f"/api/v1/requests/{reply.body['request_id']}"
    body: dict[str, str] = reply.body
    return body


async def test_an_order_goes_to_the_most_local_team_that_offers_the_service(
    platform: Platform,
) -> None:
    district = await make_district(platform)
    made = await order(platform, district)
    assert made["status"] == "dispatched"
    assert made["team_id"] == district.teams["hamlet"].team_id

    cleaning = await order(platform, district, service_type="cleaning")
    assert cleaning["team_id"] == district.teams["village"].team_id

    far = await order(platform, district, service_type="groceries", area=district.far_village)
    assert far["team_id"] == district.teams["county"].team_id


async def test_the_whole_loop_from_order_to_points(platform: Platform) -> None:
    district = await make_district(platform)
    resident = platform.as_(Role.RESIDENT, "R-loop")
    team = district.teams["hamlet"]
    leader = platform.as_(Role.LEADER, team.leader_id)
    made = await order(platform, district, resident="R-loop")
    request_id = made["request_id"]

    tasks = await leader.get("/api/v1/tasks")
    assert tasks.status == 200
    listed = {t["request_id"]: t for t in tasks.body["tasks"]}
    assert request_id in listed
    assert listed[request_id]["contact_phone"] == "13807390001", "the assigned leader sees it"
    assert {v["volunteer_id"] for v in tasks.body["volunteers"]} == set(team.volunteers)

    accepted = await leader.post(f"/api/v1/requests/{request_id}/accept")
    assert (accepted.status, accepted.body["status"]) == (200, "accepted")

    crew = [{"volunteer_id": team.volunteers[0], "hours": 2},
            {"volunteer_id": team.volunteers[1], "hours": 1.5}]
    done = await leader.post(f"/api/v1/requests/{request_id}/complete", {"volunteers": crew})
    assert (done.status, done.body["status"]) == (200, "completed")
    gone = await leader.get("/api/v1/tasks")
    assert request_id not in {t["request_id"] for t in gone.body["tasks"]}

    reviewed = await resident.post(f"/api/v1/requests/{request_id}/review",
                                   {"rating": 5, "comment": "很好"})
    assert (reviewed.status, reviewed.body["status"]) == (200, "reviewed")

    seen = await resident.get(f"/api/v1/requests/{request_id}")
    assert seen.body["status"] == "reviewed"
    assert [h["status"] for h in seen.body["history"]] == [
        "submitted", "dispatched", "accepted", "completed", "reviewed", "reviewed"]
    assert seen.body["rating"] == 5

    for volunteer_id, points in ((team.volunteers[0], 2), (team.volunteers[1], 2)):
        me = platform.as_(Role.VOLUNTEER, volunteer_id)

        async def credited(me: object = me, volunteer_id: str = volunteer_id) -> object:
            r = await platform.as_(Role.VOLUNTEER, volunteer_id).get(
                f"/api/v1/volunteers/{volunteer_id}/points")
            return r if r.body["balance"] > 0 else None

        account = await eventually(credited)
        assert account.body["balance"] == points, "1 point per hour, half rounded up"
        [entry] = account.body["entries"]
        assert entry["kind"] == "credit" and entry["request_id"] == request_id
        assert len(entry["source_event_ids"]) == 3, "completed, confirmed, credited"
    idle = await platform.as_(Role.VOLUNTEER, team.volunteers[2]).get(
        f"/api/v1/volunteers/{team.volunteers[2]}/points")
    assert idle.body["balance"] == 0, "a volunteer not named gets nothing"


async def test_a_declined_request_goes_to_the_next_team_and_never_back(
    platform: Platform,
) -> None:
    district = await make_district(platform)
    made = await order(platform, district)
    request_id = made["request_id"]
    hamlet = platform.as_(Role.LEADER, district.teams["hamlet"].leader_id)

    declined = await hamlet.post(f"/api/v1/requests/{request_id}/decline",
                                 {"reason": "人手不足"})
    assert declined.status == 200
    assert declined.body == {"request_id": request_id, "status": "dispatched",
                             "team_id": district.teams["village"].team_id}
    assert (await hamlet.post(f"/api/v1/requests/{request_id}/accept")).status == 403

    village = platform.as_(Role.LEADER, district.teams["village"].leader_id)
    declined = await village.post(f"/api/v1/requests/{request_id}/decline", {"reason": "没空"})
    assert declined.body["team_id"] == district.teams["town"].team_id
    town = platform.as_(Role.LEADER, district.teams["town"].leader_id)
    assert (await town.post(f"/api/v1/requests/{request_id}/accept")).body["status"] == "accepted"

    history = (await district.staff.get(f"/api/v1/requests/{request_id}")).body["history"]
    assert [h["event"] for h in history] == [
        "RequestSubmitted", "RequestDispatched", "RequestDeclined", "RequestDispatched",
        "RequestDeclined", "RequestDispatched", "RequestAccepted"]
    assert history[2]["note"] == "人手不足"


async def test_too_many_refusals_escalate_to_the_office_who_dispatch_by_hand(
    platform: Platform,
) -> None:
    district = await make_district(platform)
    request_id = (await order(platform, district))["request_id"]
    for level in ("hamlet", "village", "town"):
        leader = platform.as_(Role.LEADER, district.teams[level].leader_id)
        reply = await leader.post(f"/api/v1/requests/{request_id}/decline", {"reason": "忙"})
        assert reply.status == 200
    assert reply.body["status"] == "escalated"
    staff = district.staff

    async def on_the_board() -> bool:
        live = await staff.get("/api/v1/live")
        return request_id in {r["request_id"] for r in live.body["escalated"]}

    assert await eventually(on_the_board)

    county = district.teams["county"]
    sent = await staff.post(f"/api/v1/requests/{request_id}/dispatch",
                            {"team_id": county.team_id})
    assert sent.body == {"request_id": request_id, "status": "dispatched",
                         "team_id": county.team_id}
    leader = platform.as_(Role.LEADER, county.leader_id)
    assert (await leader.post(f"/api/v1/requests/{request_id}/accept")).status == 200


async def test_a_resident_can_cancel_before_completion_but_not_after(platform: Platform) -> None:
    district = await make_district(platform)
    resident = platform.as_(Role.RESIDENT, "R-cancel")
    first = await order(platform, district, resident="R-cancel")
    cancelled = await resident.post(f"/api/v1/requests/{first['request_id']}/cancel",
                                    {"reason": "家人已经买了"})
    assert (cancelled.status, cancelled.body["status"]) == (200, "cancelled")
    leader = platform.as_(Role.LEADER, district.teams["hamlet"].leader_id)
    tasks = await leader.get("/api/v1/tasks")
    assert first["request_id"] not in {t["request_id"] for t in tasks.body["tasks"]}
    assert tasks.body["team"]["load"] == 0

    second = await order(platform, district, resident="R-cancel")
    path = f"/api/v1/requests/{second['request_id']}"
    await leader.post(path + "/accept")
    team = district.teams["hamlet"]
    await leader.post(path + "/complete", {"volunteers": [{"volunteer_id": team.volunteers[0],
                                                           "hours": 1}]})
    late = await resident.post(path + "/cancel", {})
    assert (late.status, late.error_code) == (409, "illegal_transition")


async def test_residents_see_only_their_own_requests(platform: Platform) -> None:
    district = await make_district(platform)
    mine = await order(platform, district, resident="R-own")
    others = await order(platform, district, resident="R-other")
    me = platform.as_(Role.RESIDENT, "R-own")
    listed = await me.get("/api/v1/requests")
    ids = [r["request_id"] for r in listed.body["requests"]]
    assert mine["request_id"] in ids and others["request_id"] not in ids
    peek = await me.get(f"/api/v1/requests/{others['request_id']}")
    assert (peek.status, peek.error_code) == (403, "forbidden")
    review = await me.post(f"/api/v1/requests/{others['request_id']}/review", {"rating": 1})
    assert review.status == 403


async def test_staff_see_requests_with_personal_data_masked(platform: Platform) -> None:
    district = await make_district(platform)
    made = await order(platform, district, resident="R-mask")
    seen = await district.staff.get(f"/api/v1/requests/{made['request_id']}")
    assert seen.status == 200
    assert seen.body["contact_phone"] == "138****0001"
    assert seen.body["contact_name"] == "王**"
    assert "3栋" not in seen.body["address"]
    resident_view = await platform.as_(Role.RESIDENT, "R-mask").get(
        f"/api/v1/requests/{made['request_id']}")
    assert resident_view.body["contact_phone"] == "13807390001"


async def test_orders_wait_for_the_office_when_review_is_required(
    reviewing_platform: Platform,
) -> None:
    platform = reviewing_platform
    district = await make_district(platform)
    made = await order(platform, district)
    assert made["status"] == "in_review" and made["team_id"] is None
    leader = platform.as_(Role.LEADER, district.teams["hamlet"].leader_id)
    assert (await leader.get("/api/v1/tasks")).body["tasks"] == []
    approved = await district.staff.post(f"/api/v1/requests/{made['request_id']}/approve")
    assert approved.body["status"] == "dispatched"
    assert approved.body["team_id"] == district.teams["hamlet"].team_id
    again = await district.staff.post(f"/api/v1/requests/{made['request_id']}/approve")
    assert (again.status, again.error_code) == (409, "illegal_transition")


async def test_staff_see_which_teams_could_take_a_request_by_hand(platform: Platform) -> None:
    district = await make_district(platform)
    made = await order(platform, district)
    hamlet = platform.as_(Role.LEADER, district.teams["hamlet"].leader_id)
    await hamlet.post(f"/api/v1/requests/{made['request_id']}/decline", {"reason": "忙"})
    r = await district.staff.get(f"/api/v1/requests/{made['request_id']}/candidates")
    assert r.status == 200
    ranked = [(c["team_id"], c["level"], c["refused"]) for c in r.body["candidates"]]
    assert ranked == [
        (district.teams["hamlet"].team_id, 3, True),
        (district.teams["village"].team_id, 2, False),
        (district.teams["town"].team_id, 1, False),
        (district.teams["county"].team_id, 0, False),
    ]
