"""Steps several scenario modules share: walk an order to a given stage."""

from __future__ import annotations

from typing import Any

from harness import District, Platform, eventually

from schemas.common import Role


async def served(platform: Platform, district: District, resident: str,
                 crew: list[tuple[str, float]], level: str = "hamlet",
                 review: bool = True) -> str:
    """An order taken through accept and complete (and the review): returns its id."""
    reply = await platform.as_(Role.RESIDENT, resident).post("/api/v1/requests", {
        "service_type": "groceries", "area": district.hamlet, "address": "一号小区1栋",
    })
    assert reply.status == 201, reply.body
    request_id: str = reply.body["request_id"]
    leaders = [district.teams[k] for k in ("hamlet", "village", "town", "county")]
    for team in leaders:
        if team.team_id == reply.body["team_id"]:
            break
        reply = await platform.as_(Role.LEADER, team.leader_id).post(
            f"/api/v1/requests/{request_id}/decline", {"reason": "转派"})
    team = district.teams[level]
    assert reply.body["team_id"] == team.team_id, reply.body
    leader = platform.as_(Role.LEADER, team.leader_id)
    path = f"/api/v1/requests/{request_id}"
    assert (await leader.post(path + "/accept")).status == 200
    body = {"volunteers": [{"volunteer_id": v, "hours": h} for v, h in crew]}
    done = await leader.post(path + "/complete", body)
    assert done.status == 200, done.body
    if review:
        r = await platform.as_(Role.RESIDENT, resident).post(path + "/review", {"rating": 4})
        assert r.status == 200, r.body
    return request_id


async def accepted(platform: Platform, district: District, resident: str) -> str:
    """An order in the district's hamlet, accepted by the hamlet team: returns its id."""
    made = await platform.as_(Role.RESIDENT, resident).post("/api/v1/requests", {
        "service_type": "groceries", "area": district.hamlet, "address": "一号小区2栋"})
    assert made.status == 201 and made.body["team_id"] == district.teams["hamlet"].team_id
    request_id: str = made.body["request_id"]
    leader = platform.as_(Role.LEADER, district.teams["hamlet"].leader_id)
    reply = await leader.post(f"/api/v1/requests/{request_id}/accept")
    assert reply.status == 200, reply.body
    return request_id


async def balance_reaches(platform: Platform, volunteer_id: str, points: int) -> dict[str, Any]:
    me = platform.as_(Role.VOLUNTEER, volunteer_id)

    async def check() -> dict[str, Any] | None:
        r = await me.get(f"/api/v1/volunteers/{volunteer_id}/points")
        body: dict[str, Any] = r.body
        return body if body["balance"] == points else None

    found: dict[str, Any] = await eventually(check)
    return found
